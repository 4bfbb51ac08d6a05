#pragma once

#include "flows/catalog.hpp"

namespace switchboard::flows {

/// Returns the `audit` kind: scans a file or directory for leaked secrets
/// and risky files through the registry's tools.
flow_kind audit_kind();

/// Runs the audit part of a flow whose params carry `path` and
/// `large_file_bytes`; returns the audit result object as JSON text.
flow run_audit(context& ctx);

/// Fills in the defaults of the audit params and checks `path`.
std::string check_audit_params(rapidjson::Document& params,
                               const tools::workspace& ws);

} // namespace switchboard::flows
