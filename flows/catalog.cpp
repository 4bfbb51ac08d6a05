#include "flows/catalog.hpp"
#include "protocol/encoder.hpp"

#include "flows/audit.hpp"
#include "flows/ticker.hpp"
#include "flows/triage.hpp"
#include "protocol/json.hpp"
#include "protocol/schema.hpp"

#include <atomic>
#include <optional>
#include <vector>

namespace switchboard::flows {

namespace {

// The one home of the list. Plugins join it while the server starts, on one
// thread, before anything reads it; from the first read on it never changes,
// so readers on any thread need no lock.
std::vector<flow_kind>& kinds() {
  static std::vector<flow_kind> all{audit_kind(), triage_kind(), ticker_kind()};
  return all;
}

// The built-in kinds come first in `kinds()`.
constexpr size_t builtin_count = 3;

std::atomic<bool> fixed{false};

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789._-") == std::string::npos;
}

} // namespace

const std::vector<flow_kind>& catalog() {
  if (!fixed.load(std::memory_order_relaxed))
    fixed.store(true, std::memory_order_relaxed);
  return kinds();
}

std::string check_new_kind(const flow_kind& kind) {
  if (!valid_name(kind.name))
    return "kind '" + kind.name +
           "': a kind's name has 1 to 64 letters, digits, '.', '_' or '-'";
  auto& all = kinds();
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].name == kind.name)
      return "kind '" + kind.name + "' is taken by " +
             (i < builtin_count ? "a built-in kind" : "a kind already added");
  if (!kind.run)
    return "kind '" + kind.name + "' has no run function";
  auto compiled = protocol::schema::compile(kind.params_schema);
  if (auto* reason = std::get_if<std::string>(&compiled))
    return "kind '" + kind.name +
           "': its params schema does not compile: " + *reason;
  return {};
}

std::string add_kinds(std::vector<flow_kind> added) {
  SB_CHECK(!fixed.load());
  for (size_t i = 0; i < added.size(); ++i) {
    if (auto err = check_new_kind(added[i]); !err.empty())
      return err;
    for (size_t j = 0; j < i; ++j)
      if (added[j].name == added[i].name)
        return "kind '" + added[i].name + "' is registered twice";
  }
  auto& all = kinds();
  for (auto& k : added)
    all.push_back(std::move(k));
  return {};
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
