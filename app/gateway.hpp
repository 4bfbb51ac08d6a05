#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/http_api.hpp"
#include "actors/interfaces.hpp"
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
  };

  /// Creates a gateway in front of the given actors.
  gateway(caf::actor_system& sys, actors::task_manager_actor manager,
          actors::tool_registry_actor registry, settings s);

  transport::inbound_ptr on_websocket(transport::connection_ptr conn,
                                      const transport::http_request&) override;

  void on_http(transport::http_request req,
               transport::http_exchange_ptr ex) override;

  /// Tells every live session to end (used at shutdown).
  void close_sessions();

  /// Forgets session `id` (its connection closed).
  void forget(uint64_t id);

 private:
  caf::actor_system& sys_;
  actors::task_manager_actor manager_;
  actors::tool_registry_actor registry_;
  settings settings_;
  actors::http_api_setup http_;
  std::mutex mtx_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, actors::session_actor> sessions_;
};

} // namespace switchboard::app
