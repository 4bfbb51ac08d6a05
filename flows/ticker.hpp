#pragma once

#include "flows/catalog.hpp"

namespace switchboard::flows {

/// Returns the `ticker` kind: `steps` progress events `interval_ms` apart,
/// for demos, health checks and load tests.
flow_kind ticker_kind();

} // namespace switchboard::flows
