#include "cli/params.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>

#include <rapidjson/document.h>

#include "protocol/json.hpp"

namespace switchboard::cli {

namespace {

using rapidjson::Value;
using allocator = rapidjson::Document::AllocatorType;

std::string str_of(const Value& v) {
  if (v.IsString())
    return {v.GetString(), v.GetStringLength()};
  return protocol::to_json(v);
}

// The schema's `type`: a string, or the first non-null entry of a list.
std::string type_of(const Value& prop) {
  auto t = prop.FindMember("type");
  if (t == prop.MemberEnd())
    return {};
  if (t->value.IsString())
    return t->value.GetString();
  if (t->value.IsArray())
    for (auto& e : t->value.GetArray())
      if (e.IsString() && std::string_view{e.GetString()} != "null")
        return e.GetString();
  return {};
}

const Value* member(const Value& v, const char* name) {
  if (!v.IsObject())
    return nullptr;
  auto i = v.FindMember(name);
  return i == v.MemberEnd() ? nullptr : &i->value;
}

std::string range_of(const Value& prop) {
  auto* lo = member(prop, "minimum");
  auto* hi = member(prop, "maximum");
  if (lo && lo->IsNumber() && hi && hi->IsNumber())
    return " from " + str_of(*lo) + " to " + str_of(*hi);
  if (lo && lo->IsNumber())
    return " of at least " + str_of(*lo);
  if (hi && hi->IsNumber())
    return " of at most " + str_of(*hi);
  return {};
}

// What `prop` allows, as the end of "it takes ...".
std::string describe(const Value& prop) {
  if (auto* e = member(prop, "enum"); e && e->IsArray()) {
    std::string out = "one of ";
    for (auto& v : e->GetArray())
      out += (&v == e->Begin() ? "" : ", ") + str_of(v);
    return out;
  }
  auto type = type_of(prop);
  if (type == "integer")
    return "an integer" + range_of(prop);
  if (type == "number")
    return "a number" + range_of(prop);
  if (type == "boolean")
    return "true or false";
  if (type == "string")
    return "a string";
  if (type == "array")
    return "a JSON array or a comma-separated list";
  if (type == "object")
    return "a JSON object";
  return "any JSON value or a string";
}

bool in_range(const Value& prop, double x) {
  auto* lo = member(prop, "minimum");
  auto* hi = member(prop, "maximum");
  return !(lo && lo->IsNumber() && x < lo->GetDouble()) &&
         !(hi && hi->IsNumber() && x > hi->GetDouble());
}

std::optional<Value> parse_value(std::string_view text, allocator& alloc) {
  rapidjson::Document doc;
  if (protocol::parse_json(text, doc).code != protocol::error_code::none)
    return std::nullopt;
  return Value{doc, alloc};
}

// Converts `text` as `prop` says; nullopt when `prop` does not allow it.
std::optional<Value> convert(const Value& prop, const std::string& text,
                             allocator& alloc) {
  if (auto* e = member(prop, "enum"); e && e->IsArray()) {
    for (auto& v : e->GetArray())
      if (str_of(v) == text)
        return Value{v, alloc};
    return std::nullopt;
  }
  auto type = type_of(prop);
  if (type == "integer") {
    int64_t x = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
    if (ec != std::errc{} || end != text.data() + text.size() ||
        !in_range(prop, static_cast<double>(x)))
      return std::nullopt;
    return Value{x};
  }
  if (type == "number") {
    char* end = nullptr;
    double x = text.empty() ? NAN : std::strtod(text.c_str(), &end);
    if (!std::isfinite(x) || end != text.c_str() + text.size() ||
        !in_range(prop, x))
      return std::nullopt;
    return Value{x};
  }
  if (type == "boolean") {
    static const std::set<std::string> yes{"true", "yes", "on", "1"};
    static const std::set<std::string> no{"false", "no", "off", "0"};
    if (yes.count(text))
      return Value{true};
    if (no.count(text))
      return Value{false};
    return std::nullopt;
  }
  if (type == "string")
    return Value{text.c_str(), static_cast<rapidjson::SizeType>(text.size()),
                 alloc};
  if (type == "array") {
    if (!text.empty() && text.front() == '[') {
      auto v = parse_value(text, alloc);
      if (v && v->IsArray())
        return v;
      return std::nullopt;
    }
    static const Value no_items{rapidjson::kObjectType};
    auto* items = member(prop, "items");
    Value out{rapidjson::kArrayType};
    size_t from = 0;
    while (from <= text.size()) {
      auto comma = text.find(',', from);
      if (comma == std::string::npos)
        comma = text.size();
      auto item = convert(items ? *items : no_items,
                          text.substr(from, comma - from), alloc);
      if (!item)
        return std::nullopt;
      out.PushBack(std::move(*item), alloc);
      from = comma + 1;
    }
    return out;
  }
  if (type == "object") {
    auto v = parse_value(text, alloc);
    if (v && v->IsObject())
      return v;
    return std::nullopt;
  }
  // No type: JSON when it parses, else the text as a string.
  if (auto v = parse_value(text, alloc))
    return v;
  return Value{text.c_str(), static_cast<rapidjson::SizeType>(text.size()),
               alloc};
}

conversion fail(std::string message) {
  return {false, {}, std::move(message)};
}

} // namespace

conversion convert_params(std::string_view schema_text,
                          const std::vector<std::string>& pairs,
                          std::string_view owner) {
  rapidjson::Document schema;
  protocol::parse_json(schema_text, schema);
  static const Value no_props{rapidjson::kObjectType};
  auto* props = member(schema, "properties");
  if (!props || !props->IsObject())
    props = &no_props;
  auto* additional = member(schema, "additionalProperties");
  bool closed = additional && additional->IsFalse();
  rapidjson::Document out{rapidjson::kObjectType};
  auto& alloc = out.GetAllocator();
  for (auto& pair : pairs) {
    auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail("'" + pair + "' is not key=value (for example steps=5)");
    auto key = pair.substr(0, eq);
    auto text = pair.substr(eq + 1);
    if (out.HasMember(key.c_str()))
      return fail("parameter " + key + " is given twice");
    auto* prop = member(*props, key.c_str());
    if (!prop && closed) {
      std::string names;
      for (auto& p : props->GetObject())
        names += (names.empty() ? "" : ", ") + str_of(p.name);
      return fail(std::string{owner} + " has no parameter " + key +
                  "; it takes " + (names.empty() ? "none" : names));
    }
    static const Value untyped{rapidjson::kObjectType};
    auto value = convert(prop ? *prop : untyped, text, alloc);
    if (!value)
      return fail("bad parameter " + pair + " for " + std::string{owner} +
                  ": " + key + " takes " + describe(prop ? *prop : untyped));
    out.AddMember(Value{key.c_str(), alloc}, std::move(*value), alloc);
  }
  return {true, protocol::to_json(out), {}};
}

conversion object_from_json(std::string_view text, std::string_view option) {
  rapidjson::Document doc;
  auto status = protocol::parse_json(text, doc);
  if (status.code != protocol::error_code::none)
    return fail(std::string{option} + " is not valid JSON: " + status.message);
  if (!doc.IsObject())
    return fail(std::string{option} + " must be a JSON object");
  return {true, protocol::to_json(doc), {}};
}

} // namespace switchboard::cli
