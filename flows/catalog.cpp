#include "flows/catalog.hpp"

#include "flows/audit.hpp"
#include "flows/ticker.hpp"
#include "flows/triage.hpp"
#include "protocol/json.hpp"
#include "protocol/schema.hpp"

namespace switchboard::flows {

const std::vector<flow_kind>& catalog() {
  static const std::vector<flow_kind> kinds{audit_kind(), triage_kind(),
                                            ticker_kind()};
  return kinds;
}

const std::string& kinds_json() {
  static const std::string json = [] {
    std::string result = "[";
    for (auto& k : catalog()) {
      if (result.size() > 1)
        result += ',';
      result += "{\"name\":" + protocol::quote(k.name) +
                ",\"description\":" + protocol::quote(k.description) +
                ",\"params_schema\":" + k.params_schema + "}";
    }
    return result + "]";
  }();
  return json;
}

const flow_kind* find_kind(std::string_view name) {
  for (auto& k : catalog())
    if (k.name == name)
      return &k;
  return nullptr;
}

std::string check_params(const flow_kind& kind, std::string_view params,
                         const tools::workspace& ws, std::string& normalized) {
  rapidjson::Document doc;
  if (auto st = protocol::parse_json(params, doc);
      st.code != protocol::error_code::none)
    return st.message;
  if (!doc.IsObject())
    return "params must be an object";
  auto compiled = protocol::schema::compile(kind.params_schema);
  if (auto* reason = std::get_if<std::string>(&compiled))
    return "bad params schema: " + *reason;
  auto err = std::get<protocol::schema>(compiled).validate(doc);
  if (!err.empty())
    return err;
  if (kind.check) {
    err = kind.check(doc, ws);
    if (!err.empty())
      return err;
  }
  normalized = protocol::to_json(doc);
  return {};
}

} // namespace switchboard::flows
