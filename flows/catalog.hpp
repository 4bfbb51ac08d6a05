#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "flows/flow.hpp"

namespace switchboard::tools {
class workspace;
} // namespace switchboard::tools

namespace switchboard::flows {

/// A task kind: how to check its params and how to run it.
struct flow_kind {
  /// The kind's name, e.g. "audit".
  std::string name;
  /// One sentence for people.
  std::string description;
  /// JSON Schema of the params object, as JSON text.
  std::string params_schema;
  /// Checks what the schema cannot (e.g. paths) and fills in defaults;
  /// returns an empty string when `params` are fine, else the reason.
  std::function<std::string(rapidjson::Document& params,
                            const tools::workspace& ws)>
      check;
  /// Creates the flow's coroutine.
  std::function<flow(context&)> run;
};

/// Returns every task kind this node runs: audit, triage and ticker.
const std::vector<flow_kind>& catalog();

/// Returns the kinds as a JSON array of {name, description, params_schema},
/// built once.
const std::string& kinds_json();

/// Returns the kind named `name`, or nullptr.
const flow_kind* find_kind(std::string_view name);

/// Validates `params` (JSON text of an object) for `kind`: schema first,
/// then the kind's own check. On success `normalized` holds the params with
/// defaults filled in and the result is empty; otherwise the reason.
std::string check_params(const flow_kind& kind, std::string_view params,
                         const tools::workspace& ws, std::string& normalized);

} // namespace switchboard::flows
