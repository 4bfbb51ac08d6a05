#pragma once

#include <functional>
#include <string>

#include <rapidjson/document.h>

#include "flows/flow.hpp"

namespace switchboard::tools {
class workspace;
} // namespace switchboard::tools

namespace switchboard::flows {

/// A task kind: its name, how to check its params and how to run it. Part of
/// the flows SDK: plugins fill these in and register them (registrar.hpp).
struct flow_kind {
  /// The kind's name, e.g. "audit": 1 to 64 letters, digits, '.', '_' or
  /// '-', unique on the node.
  std::string name;
  /// One sentence for people.
  std::string description;
  /// JSON Schema (draft 4) of the params object, as JSON text; each
  /// property's `default` fills in what a client leaves out.
  std::string params_schema;
  /// Optional: checks what the schema cannot, on the params with defaults
  /// filled in; returns an empty string when they are fine, else the reason
  /// (the start fails with `invalid_params`). Runs on an actor thread: it
  /// must not block. The workspace is opaque to plugins.
  std::function<std::string(rapidjson::Document& params,
                            const tools::workspace& ws)>
      check;
  /// Creates the flow's coroutine; called once per task.
  std::function<flow(context&)> run;
};

} // namespace switchboard::flows
