#pragma once

#include <chrono>

#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"
#include "protocol/json.hpp"
#include "transport/http_types.hpp"

namespace switchboard::actors {

/// What the HTTP API needs.
struct http_api_setup {
  /// Where tasks are created and found.
  task_manager_actor manager;
  /// Where tools are listed and called.
  tool_registry_actor registry;
  /// Limits of request bodies.
  protocol::json_limits limits;
  /// Interval of SSE comment heartbeats.
  std::chrono::milliseconds heartbeat{15000};
  /// How long to wait for the other actors.
  std::chrono::milliseconds request_timeout{30000};
};

/// Answers one HTTP request of the API (`/api/...`, `/healthz`, `/readyz`):
/// routes it, asks the actors without blocking the I/O thread, and responds
/// or, for `/api/tasks/ID/events`, hands the exchange to an SSE stream.
void serve_http(caf::actor_system& sys, const http_api_setup& setup,
                transport::http_request req, transport::http_exchange_ptr ex);

} // namespace switchboard::actors
