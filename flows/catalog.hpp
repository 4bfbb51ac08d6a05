#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "flows/kind.hpp"

namespace switchboard::flows {

/// Returns every task kind this node runs: the built-in ones (audit,
/// triage, ticker), then those added by `add_kinds`. The first call fixes
/// the list: every reader (task manager, metrics, cluster, list_kinds)
/// sees the same kinds for the life of the process.
const std::vector<flow_kind>& catalog();

/// Returns why `kind` cannot join the catalog (a bad name, a name taken by
/// a kind of the catalog, no `run`, a params schema that does not compile),
/// or an empty string. Does not fix the list.
std::string check_new_kind(const flow_kind& kind);

/// Adds `kinds` (from plugins) after the built-in ones, all or none: returns
/// the reason the first one is refused (see `check_new_kind`, and two of
/// `kinds` sharing a name), or an empty string. Only before the first call
/// of `catalog()`; a later call breaks a contract.
std::string add_kinds(std::vector<flow_kind> kinds);

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
