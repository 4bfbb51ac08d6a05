// Flows plugins the server must refuse, one per REFUSED_* definition (see
// CMakeLists.txt): each is a MODULE library loaded with --flows.
#include "flows/registrar.hpp"

namespace {

using namespace switchboard;

flows::flow run_nothing(flows::context&) {
  co_return "{}";
}

flows::flow_kind kind(std::string name, std::string schema) {
  flows::flow_kind k;
  k.name = std::move(name);
  k.description = "Refused.";
  k.params_schema = std::move(schema);
  k.run = run_nothing;
  return k;
}

} // namespace

#if defined(REFUSED_NO_ENTRY)
// A shared library with something in it, but no entry point.
extern "C" __attribute__((visibility("default"))) int not_a_flows_plugin() {
  return kind("nothing", "{}").name.size();
}
#elif defined(REFUSED_OTHER_VERSION)
// What a library built against a future SDK exports.
extern "C" __attribute__((visibility("default")))
const std::uint32_t switchboard_flows_sdk_version = flows::sdk_version + 998;
extern "C" __attribute__((visibility("default"))) void
switchboard_flows_register(flows::registrar& r) {
  r.add(kind("future", "{}"));
}
#elif defined(REFUSED_TAKEN_NAME)
SWITCHBOARD_FLOWS(r) {
  r.add(kind("audit", "{}"));
}
#elif defined(REFUSED_BAD_SCHEMA)
SWITCHBOARD_FLOWS(r) {
  // Cut short: not JSON.
  r.add(kind("bad_schema", R"({"type":"object","properties":)"));
}
#else
#error "define one REFUSED_* case"
#endif
