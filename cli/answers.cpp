#include "cli/answers.hpp"

#include <fstream>
#include <sstream>

#include "cli/exit_code.hpp"
#include "protocol/json.hpp"

namespace switchboard::cli {

namespace {

using rapidjson::Value;

// A field's text: strings as they are, anything else as JSON.
std::optional<std::string> text_of(const Value& object, std::string_view name) {
  if (!object.IsObject())
    return std::nullopt;
  for (auto& m : object.GetObject())
    if (std::string_view{m.name.GetString(), m.name.GetStringLength()} == name)
      return m.value.IsString()
                 ? std::string{m.value.GetString(), m.value.GetStringLength()}
                 : protocol::to_json(m.value);
  return std::nullopt;
}

bool in_enum(const Value& request, const Value& value) {
  auto schema = request.FindMember("schema");
  if (schema == request.MemberEnd() || !schema->value.IsObject())
    return false;
  auto e = schema->value.FindMember("enum");
  if (e == schema->value.MemberEnd() || !e->value.IsArray())
    return false;
  for (auto& v : e->value.GetArray())
    if (v == value)
      return true;
  return false;
}

std::optional<std::string> resolve(const Value& request, const Value& value) {
  // A policy word that is also one of the request's choices is that choice.
  if (value.IsString() && !in_enum(request, value)) {
    std::string_view policy{value.GetString(), value.GetStringLength()};
    if (policy == "skip")
      return std::nullopt;
    if (policy == "first") {
      auto schema = request.FindMember("schema");
      if (schema == request.MemberEnd() || !schema->value.IsObject())
        return std::nullopt;
      auto e = schema->value.FindMember("enum");
      if (e == schema->value.MemberEnd() || !e->value.IsArray() ||
          e->value.Empty())
        return std::nullopt;
      return protocol::to_json(e->value[0u]);
    }
  }
  return protocol::to_json(value);
}

// The text at a dotted path (`finding.rule`) below `object`.
std::optional<std::string> text_at(const Value& object, std::string_view path) {
  const Value* at = &object;
  for (;;) {
    auto dot = path.find('.');
    auto name = path.substr(0, dot);
    if (dot == std::string_view::npos)
      return text_of(*at, name);
    if (!at->IsObject())
      return std::nullopt;
    const Value* next = nullptr;
    for (auto& m : at->GetObject())
      if (std::string_view{m.name.GetString(), m.name.GetStringLength()} ==
          name)
        next = &m.value;
    if (!next)
      return std::nullopt;
    at = next;
    path.remove_prefix(dot + 1);
  }
}

// FIELD=VALUE: FIELD is a dotted path into the request's context (triage:
// `finding.rule`, `finding.severity`, `index`), else into the request.
bool picks(const Value& request, std::string_view key) {
  auto eq = key.find('=');
  if (eq == std::string_view::npos)
    return false;
  auto name = key.substr(0, eq);
  auto wanted = key.substr(eq + 1);
  auto context = request.FindMember("context");
  if (context != request.MemberEnd())
    if (auto v = text_at(context->value, name); v && *v == wanted)
      return true;
  auto v = text_at(request, name);
  return v && *v == wanted;
}

} // namespace

answer_book answer_book::parse(std::string_view text, const std::string& file) {
  answer_book book;
  auto err = protocol::parse_json(text, book.doc_);
  if (err.code != protocol::error_code::none || !book.doc_.IsObject())
    throw failure(exit_code::usage,
                  "--answers " + file +
                      ": not a JSON object (for example "
                      "{\"*\":\"first\"} or {\"rule=private_key\":\"fix\"})");
  return book;
}

answer_book answer_book::load(const std::string& file) {
  std::ifstream in{file, std::ios::binary};
  if (!in)
    throw failure(exit_code::usage, "--answers " + file + ": cannot read it");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file);
}

std::optional<std::string>
answer_book::answer_for(const rapidjson::Value& request) const {
  // The most specific key wins: a request id, then FIELD=VALUE keys in
  // the file's order, then "*".
  if (auto id = text_of(request, "request_id"))
    for (auto& m : doc_.GetObject())
      if (*id == m.name.GetString())
        return resolve(request, m.value);
  for (auto& m : doc_.GetObject()) {
    std::string_view key{m.name.GetString(), m.name.GetStringLength()};
    if (picks(request, key))
      return resolve(request, m.value);
  }
  auto any = doc_.FindMember("*");
  if (any != doc_.MemberEnd())
    return resolve(request, any->value);
  return std::nullopt;
}

} // namespace switchboard::cli
