#include "protocol/schema.hpp"

#include <mutex>

#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include "protocol/json.hpp"

namespace switchboard::protocol {

namespace {

// Schemas are small and come from our own code or from flows, but input
// schemas travel to clients too: keep them in the same bounds as messages.
constexpr json_limits schema_limits{1024 * 1024, 64};

bool uses_patterns(const rapidjson::Value& v) {
  if (v.IsObject()) {
    for (auto& m : v.GetObject()) {
      std::string_view key{m.name.GetString(), m.name.GetStringLength()};
      if (key == "pattern" || key == "patternProperties")
        return true;
      if (uses_patterns(m.value))
        return true;
    }
  } else if (v.IsArray()) {
    for (auto& x : v.GetArray())
      if (uses_patterns(x))
        return true;
  }
  return false;
}

std::string number_text(const rapidjson::Value& v) {
  return to_json(v);
}

std::string type_text(const rapidjson::Value& v) {
  if (v.IsString())
    return v.GetString();
  if (!v.IsArray())
    return to_json(v);
  std::string out;
  for (auto& t : v.GetArray()) {
    if (!out.empty())
      out += " or ";
    out += t.IsString() ? std::string{t.GetString()} : to_json(t);
  }
  return out;
}

const rapidjson::Value* member(const rapidjson::Value* obj, const char* key) {
  if (!obj || !obj->IsObject())
    return nullptr;
  auto i = obj->FindMember(key);
  return i == obj->MemberEnd() ? nullptr : &i->value;
}

} // namespace

struct schema::impl {
  rapidjson::Document doc;
  rapidjson::SchemaDocument compiled;
  // RapidJSON 1.1's internal regex keeps its match state in the compiled
  // pattern, so validations of schemas with patterns must not overlap.
  bool needs_lock;
  mutable std::mutex mtx;

  impl(rapidjson::Document&& d, bool lock)
      : doc(std::move(d)), compiled(doc), needs_lock(lock) {}

  // RapidJSON 1.1 reports only the keyword and two pointers; look at the
  // schema and the value to say which property or bound is at fault.
  std::string explain(const rapidjson::SchemaValidator& v,
                      const rapidjson::Value& value) const {
    std::string keyword = v.GetInvalidSchemaKeyword();
    rapidjson::StringBuffer where;
    v.GetInvalidDocumentPointer().Stringify(where);
    std::string ptr = where.GetSize() == 0 ? "/" : where.GetString();
    const rapidjson::Value* sch = v.GetInvalidSchemaPointer().Get(doc);
    const rapidjson::Value* inst =
        v.GetInvalidDocumentPointer().Get(const_cast<rapidjson::Value&>(value));
    const rapidjson::Value* arg = member(sch, keyword.c_str());
    std::string detail;
    if (keyword == "enum") {
      detail = "does not match enum";
    } else if (keyword == "type" && arg) {
      detail = "does not match type " + type_text(*arg);
    } else if (keyword == "required") {
      detail = "lacks a property named in required";
      if (arg && arg->IsArray() && inst && inst->IsObject())
        for (auto& name : arg->GetArray())
          if (name.IsString() && !inst->HasMember(name)) {
            detail = "lacks required property " + to_json(name);
            break;
          }
    } else if (keyword == "additionalProperties") {
      detail = "is not allowed by additionalProperties";
    } else if (keyword == "minimum" && arg) {
      auto* excl = member(sch, "exclusiveMinimum");
      bool strict = excl && excl->IsTrue();
      detail = std::string{"is below minimum "} +
               (strict ? "(exclusive) " : "") + number_text(*arg);
    } else if (keyword == "maximum" && arg) {
      auto* excl = member(sch, "exclusiveMaximum");
      bool strict = excl && excl->IsTrue();
      detail = std::string{"is above maximum "} +
               (strict ? "(exclusive) " : "") + number_text(*arg);
    } else if ((keyword == "minLength" || keyword == "minItems" ||
                keyword == "minProperties") &&
               arg) {
      detail = "is shorter than " + keyword + " " + number_text(*arg);
    } else if ((keyword == "maxLength" || keyword == "maxItems" ||
                keyword == "maxProperties") &&
               arg) {
      detail = "is longer than " + keyword + " " + number_text(*arg);
    } else if (keyword == "pattern" && arg) {
      detail = "does not match pattern " + to_json(*arg);
    } else if (keyword == "oneOf") {
      detail = "does not match exactly one schema of oneOf";
    } else if (keyword == "anyOf") {
      detail = "does not match any schema of anyOf";
    } else if (keyword == "allOf") {
      detail = "does not match all schemas of allOf";
    } else if (keyword == "not") {
      detail = "matches the schema of not";
    } else if (keyword == "multipleOf" && arg) {
      detail = "is not a multipleOf " + number_text(*arg);
    } else {
      detail = "fails " + keyword;
    }
    return ptr + ": " + detail;
  }
};

std::variant<schema, std::string> schema::compile(std::string_view json) {
  rapidjson::Document doc;
  if (auto st = parse_json(json, doc, schema_limits);
      st.code != error_code::none)
    return "schema is not valid JSON: " + st.message;
  if (!doc.IsObject())
    return std::string{"schema must be a JSON object"};
  bool lock = uses_patterns(doc);
  schema result;
  result.impl_ = std::make_shared<const impl>(std::move(doc), lock);
  result.text_ = std::make_shared<const std::string>(json);
  return result;
}

std::string schema::validate(const rapidjson::Value& value) const {
  // A default-constructed schema constrains nothing.
  if (!impl_)
    return {};
  std::unique_lock<std::mutex> guard{impl_->mtx, std::defer_lock};
  if (impl_->needs_lock)
    guard.lock();
  rapidjson::SchemaValidator validator{impl_->compiled};
  if (value.Accept(validator))
    return {};
  return impl_->explain(validator, value);
}

} // namespace switchboard::protocol
