#include "cli/prompt.hpp"

#include <cstdio>
#include <iostream>

#include "protocol/json.hpp"

namespace switchboard::cli {

namespace {

using rapidjson::Value;

const Value* enum_of(const Value& schema) {
  if (!schema.IsObject())
    return nullptr;
  auto e = schema.FindMember("enum");
  return e != schema.MemberEnd() && e->value.IsArray() && !e->value.Empty()
             ? &e->value
             : nullptr;
}

std::string type_of(const Value& schema) {
  if (!schema.IsObject())
    return {};
  auto t = schema.FindMember("type");
  return t != schema.MemberEnd() && t->value.IsString() ? t->value.GetString()
                                                        : "";
}

std::string choice_text(const Value& v) {
  return v.IsString() ? std::string{v.GetString()} : protocol::to_json(v);
}

std::string trimmed(const std::string& text) {
  auto from = text.find_first_not_of(" \t\r");
  if (from == std::string::npos)
    return {};
  auto to = text.find_last_not_of(" \t\r");
  return text.substr(from, to - from + 1);
}

} // namespace

conversion typed_answer(const Value& schema, const std::string& typed) {
  auto text = trimmed(typed);
  if (auto* choices = enum_of(schema)) {
    // A number picks a choice, unless the choices are numbers themselves.
    bool numbers = false;
    for (auto& v : choices->GetArray())
      numbers = numbers || v.IsNumber();
    if (!numbers && !text.empty() &&
        text.find_first_not_of("0123456789") == std::string::npos &&
        text.size() < 6) {
      auto n = std::stoul(text);
      if (n >= 1 && n <= choices->Size())
        return {true,
                protocol::to_json((*choices)[static_cast<unsigned>(n - 1)]),
                {}};
      return {false,
              {},
              "pick a number from 1 to " + std::to_string(choices->Size())};
    }
  }
  if (type_of(schema) == "boolean") {
    if (text == "y" || text == "Y")
      text = "yes";
    else if (text == "n" || text == "N")
      text = "no";
  }
  // The k=v conversion already knows every type and range a schema can
  // say; the answer is one parameter of an object holding that schema.
  auto wrapped =
      "{\"type\":\"object\",\"properties\":{\"answer\":" +
      (schema.IsObject() ? protocol::to_json(schema) : std::string{"{}"}) +
      "}}";
  auto c = convert_params(wrapped, {"answer=" + text}, "the request");
  if (!c.ok) {
    auto at = c.error.find(": answer takes ");
    if (at != std::string::npos)
      c.error = "expected " + c.error.substr(at + 15);
    return c;
  }
  rapidjson::Document doc;
  protocol::parse_json(c.json, doc);
  c.json = protocol::to_json(doc["answer"]);
  return c;
}

std::optional<std::string> ask_on_terminal(const Value& request) {
  static const Value no_schema{rapidjson::kObjectType};
  auto s = request.FindMember("schema");
  const Value& schema = s != request.MemberEnd() ? s->value : no_schema;
  auto p = request.FindMember("prompt");
  std::string prompt = p != request.MemberEnd() && p->value.IsString()
                           ? p->value.GetString()
                           : "input requested";
  std::string question;
  if (auto* choices = enum_of(schema)) {
    std::printf("\x1b[1;36m? %s\x1b[0m\n", prompt.c_str());
    unsigned i = 0;
    for (auto& v : choices->GetArray())
      std::printf("  %u) %s\n", ++i, choice_text(v).c_str());
    question = "choice [1-" + std::to_string(choices->Size()) + "]: ";
  } else if (type_of(schema) == "boolean") {
    std::printf("\x1b[1;36m? %s\x1b[0m\n", prompt.c_str());
    question = "[y/n]: ";
  } else {
    std::printf("\x1b[1;36m? %s\x1b[0m\n", prompt.c_str());
    auto type = type_of(schema);
    question = (type.empty() ? std::string{"answer"} : type) + ": ";
  }
  for (;;) {
    std::fputs(question.c_str(), stdout);
    std::fflush(stdout);
    std::string line;
    if (!std::getline(std::cin, line))
      return std::nullopt;
    auto c = typed_answer(schema, line);
    if (c.ok)
      return c.json;
    std::printf("  %s\n", c.error.c_str());
  }
}

} // namespace switchboard::cli
