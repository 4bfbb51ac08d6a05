#pragma once

// The entry point of a flows plugin: a shared library that the server loads
// with `--flows=PATH` and that registers task kinds. A plugin is header-only
// against the SDK: the flow's calls into `context` reach the server through
// the virtual functions of `host`, so it links no Switchboard library.

#include <cstdint>

#include "flows/kind.hpp"

namespace switchboard::flows {

/// The version of the flows SDK: the layout of `flow_kind`, `context`,
/// `host` and the coroutine type. The server refuses a plugin built against
/// another version.
inline constexpr std::uint32_t sdk_version = 1;

/// The name of the plugin's exported `const std::uint32_t` holding the SDK
/// version it was built against.
inline constexpr const char* sdk_version_symbol =
    "switchboard_flows_sdk_version";

/// The name of the plugin's exported entry point, a
/// `void(switchboard::flows::registrar&)` with C linkage.
inline constexpr const char* entry_point_symbol = "switchboard_flows_register";

/// What a plugin's entry point registers its kinds with. The server checks
/// them once the entry point returned: a name already taken, a schema that
/// does not compile or a missing `run` refuses the whole library.
class registrar {
 public:
  virtual ~registrar() = default;

  /// Registers `kind`.
  virtual void add(flow_kind kind) = 0;
};

} // namespace switchboard::flows

/// Defines a plugin's entry point and its SDK version; use it once per
/// library, followed by the body that registers the kinds:
/// `SWITCHBOARD_FLOWS(r) { r.add(my_kind()); }`.
#define SWITCHBOARD_FLOWS(registrar_name)                                      \
  extern "C" __attribute__((visibility("default")))                            \
  const std::uint32_t switchboard_flows_sdk_version =                          \
      ::switchboard::flows::sdk_version;                                       \
  extern "C" __attribute__((visibility("default"))) void                       \
  switchboard_flows_register(::switchboard::flows::registrar& registrar_name)
