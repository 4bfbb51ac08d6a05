#include "flows/catalog.hpp"
#include "protocol/encoder.hpp"

#include "flows/audit.hpp"
#include "flows/ticker.hpp"
#include "flows/triage.hpp"
#include "protocol/json.hpp"
#include "protocol/schema.hpp"

#include <optional>
#include <vector>

namespace switchboard::flows {

const std::vector<flow_kind>& catalog() {
  static const std::vector<flow_kind> kinds{audit_kind(), triage_kind(),
                                            ticker_kind()};
  return kinds;
}

const std::string& kinds_json() {
  static const std::string json = [] {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w{buf};
    w.StartArray();
    for (auto& k : catalog()) {
      auto kind = protocol::object_writer{}
                      .str("name", k.name)
                      .str("description", k.description)
                      .raw("params_schema", k.params_schema)
                      .finish();
      w.RawValue(kind.data(), kind.size(), rapidjson::kObjectType);
    }
    w.EndArray();
    return std::string{buf.GetString(), buf.GetSize()};
  }();
  return json;
}

const flow_kind* find_kind(std::string_view name) {
  for (auto& k : catalog())
    if (k.name == name)
      return &k;
  return nullptr;
}

namespace {

// A kind's params schema, compiled once, and its properties' defaults.
struct prepared_kind {
  std::variant<protocol::schema, std::string> schema;
  rapidjson::Document defaults; // An object: property -> default.
};

prepared_kind prepare(const flow_kind& kind) {
  prepared_kind result{protocol::schema::compile(kind.params_schema), {}};
  auto& defaults = result.defaults;
  defaults.SetObject();
  rapidjson::Document schema;
  protocol::parse_json(kind.params_schema, schema);
  if (schema.IsObject() && schema.HasMember("properties") &&
      schema["properties"].IsObject())
    for (auto& p : schema["properties"].GetObject())
      if (p.value.IsObject() && p.value.HasMember("default"))
        defaults.AddMember(
            rapidjson::Value{p.name, defaults.GetAllocator()},
            rapidjson::Value{p.value["default"], defaults.GetAllocator()},
            defaults.GetAllocator());
  return result;
}

// The catalog's kinds, prepared once (a static: thread-safe to build);
// null for a kind that is not in the catalog.
const prepared_kind* prepared(const flow_kind& kind) {
  static const std::vector<prepared_kind> all = [] {
    std::vector<prepared_kind> result;
    for (auto& k : catalog())
      result.push_back(prepare(k));
    return result;
  }();
  auto& kinds = catalog();
  for (size_t i = 0; i < kinds.size(); ++i)
    if (&kinds[i] == &kind)
      return &all[i];
  return nullptr;
}

} // namespace

std::string check_params(const flow_kind& kind, std::string_view params,
                         const tools::workspace& ws, std::string& normalized) {
  rapidjson::Document doc;
  if (auto st = protocol::parse_json(params, doc);
      st.code != protocol::error_code::none)
    return st.message;
  if (!doc.IsObject())
    return "params must be an object";
  std::optional<prepared_kind> own;
  const auto* found = prepared(kind);
  const auto& kp = found ? *found : own.emplace(prepare(kind));
  if (auto* reason = std::get_if<std::string>(&kp.schema))
    return "bad params schema: " + *reason;
  auto err = std::get<protocol::schema>(kp.schema).validate(doc);
  if (!err.empty())
    return err;
  // The schema's defaults fill what the client left out: the kind
  // describes itself completely, and its check only checks.
  for (auto& d : kp.defaults.GetObject())
    if (!doc.HasMember(d.name))
      doc.AddMember(rapidjson::Value{d.name, doc.GetAllocator()},
                    rapidjson::Value{d.value, doc.GetAllocator()},
                    doc.GetAllocator());
  if (kind.check) {
    err = kind.check(doc, ws);
    if (!err.empty())
      return err;
  }
  normalized = protocol::to_json(doc);
  return {};
}

} // namespace switchboard::flows
