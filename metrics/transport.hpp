#pragma once

#include <cstdint>
#include <functional>

#include "metrics/registry.hpp"
#include "transport/server.hpp"

namespace switchboard::metrics {

/// Returns an observer for `transport::server_options::observer` that
/// counts queue bytes, slow consumers and lost heartbeats into `reg`;
/// an empty function when `reg` is null.
std::function<void(transport::connection_event, int64_t)>
transport_observer(registry_ptr reg);

} // namespace switchboard::metrics
