#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"
#include "actors/server_status.hpp"
#include "app/access.hpp"
#include "http/api.hpp"
#include "protocol/json.hpp"
#include "transport/handler.hpp"

namespace switchboard::app {

/// Bridges the transport to the actors: spawns a session actor per
/// WebSocket and answers HTTP requests.
class gateway : public transport::handler {
 public:
  /// Settings the gateway hands to each session.
  struct settings {
    /// Heartbeat interval.
    std::chrono::milliseconds heartbeat{15000};
    /// Limits of client JSON.
    protocol::json_limits limits;
    /// Server name and version.
    std::string server;
    /// Who may connect.
    std::shared_ptr<const access_policy> access;
    /// Shared drain state.
    std::shared_ptr<actors::server_status> status;
    /// Messages per second per connection.
    size_t rate_limit = 200;
    /// Where traffic is counted and what `/metrics` serves (may be null).
    metrics::registry_ptr metrics;
  };

  /// Creates a gateway in front of the given actors.
  gateway(caf::actor_system& sys, actors::task_manager_actor manager,
          actors::tool_registry_actor registry, settings s);

  transport::inbound_ptr on_websocket(transport::connection_ptr conn,
                                      const transport::http_request&) override;

  std::optional<transport::http_response>
  screen(const transport::http_request& req) override;

  void on_http(transport::http_request req,
               transport::http_exchange_ptr ex) override;

  /// Tells every live session that the server drains for `grace_ms`.
  void announce_shutdown(int64_t grace_ms);

  /// Sends a `tools_changed` message (its JSON text) to every open
  /// WebSocket session.
  void announce_tools(std::string text);

  /// Asks every live session to close its connection with `code` after the
  /// frames already queued.
  void close_sessions(uint16_t code);

  /// Tells every live session to end at once (used at the very end).
  void end_sessions();

  /// Waits until every session's connection is gone or `timeout` passed;
  /// returns whether none is left.
  bool wait_sessions_closed(std::chrono::milliseconds timeout);

  /// Forgets session `id` (its connection closed).
  void forget(uint64_t id);

 private:
  caf::actor_system& sys_;
  actors::task_manager_actor manager_;
  actors::tool_registry_actor registry_;
  settings settings_;
  http::api_setup http_;
  std::mutex mtx_;
  std::condition_variable cv_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, actors::session_actor> sessions_;
};

} // namespace switchboard::app
