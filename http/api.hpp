#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"
#include "actors/server_status.hpp"
#include "metrics/registry.hpp"
#include "protocol/json.hpp"
#include "transport/http_types.hpp"

namespace switchboard::http {

/// What the HTTP API needs.
struct api_setup {
  /// Where tasks are created and found.
  actors::task_manager_actor manager;
  /// Where tools are listed and called.
  actors::tool_registry_actor registry;
  /// Limits of request bodies.
  protocol::json_limits limits;
  /// Interval of SSE comment heartbeats.
  std::chrono::milliseconds heartbeat{15000};
  /// How long to wait for the other actors.
  std::chrono::milliseconds request_timeout{30000};
  /// Shared drain state (may be null).
  std::shared_ptr<const actors::server_status> status;
  /// Served at `/metrics` and counted into (null: neither).
  metrics::registry_ptr metrics;
};

/// Answers one HTTP request of the API (`/api/...`, `/metrics`, `/healthz`,
/// `/readyz`) for `principal` (already authenticated): matches it against
/// the route table, decodes it into the same command a WebSocket message
/// would be, runs that without blocking the I/O thread and responds; for
/// `/api/tasks/ID/events` it hands the exchange to an SSE stream.
void serve(caf::actor_system& sys, const api_setup& setup,
           std::string principal, transport::http_request req,
           transport::http_exchange_ptr ex);

} // namespace switchboard::http
