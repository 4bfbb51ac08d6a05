#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <caf/actor_clock.hpp>

#include "actors/interfaces.hpp"
#include "actors/server_status.hpp"
#include "metrics/registry.hpp"
#include "protocol/decoder.hpp"
#include "transport/connection.hpp"
#include "util/fifo.hpp"

namespace switchboard::ws {

/// What a session needs besides its connection.
struct session_setup {
  /// The client's connection.
  transport::connection_ptr conn;
  /// Where tasks are created and found.
  actors::task_manager_actor manager;
  /// Where tools are listed and called.
  actors::tool_registry_actor registry;
  /// Interval of JSON heartbeats and WebSocket pings.
  std::chrono::milliseconds heartbeat{15000};
  /// Limits applied to client messages.
  protocol::json_limits limits;
  /// Server name and version for `hello`.
  std::string server = "switchboard";
  /// How long to wait for the other actors.
  std::chrono::milliseconds request_timeout{30000};
  /// Who the client is (derived from its token; empty without auth).
  std::string principal;
  /// Shared drain state (may be null in tests).
  std::shared_ptr<const actors::server_status> status;
  /// Messages per second the client may send (bursts of twice that).
  size_t rate_limit = 200;
  /// Where traffic is counted (null: nowhere).
  metrics::registry_ptr metrics;
};

/// Ended subscriptions whose cursors a session remembers.
inline constexpr size_t max_finished_cursors = 1024;

/// State of a session actor.
struct session_state {
  /// A task this session is subscribed to, or has a subscribe pending for.
  struct subscribed {
    /// The task; set once a subscribe succeeded.
    actors::task_actor handle;
    /// The cursor: the highest seq handed to the connection.
    uint64_t last_sent = 0;
    /// True while events of the task are forwarded.
    bool active = false;
    /// Subscribe requests sent to the task and not yet answered.
    uint32_t pending = 0;
    /// Events received since the task was last granted credit for them.
    uint64_t owed = 0;
    /// True once the task's terminal event went out (the cursor is kept).
    bool finished = false;
    /// Counts unsubscribes, so that a subscribe answered after a later
    /// unsubscribe does not revive the subscription.
    uint64_t generation = 0;
  };

  session_setup setup;
  std::string id;
  std::map<std::string, subscribed> subscriptions;
  /// Tasks whose subscription ended, oldest first (their cursors are kept).
  util::fifo<std::string> finished;
  bool closed = false;
  util::fifo<protocol::frame> outbox;
  size_t outbox_bytes = 0;
  bool pump_scheduled = false;
  std::chrono::milliseconds pump_delay{2};
  uint16_t close_code = 0;
  metrics::connection_probe probe;
  double tokens = 0;
  caf::actor_clock::time_point refilled;

  static inline const char* name = "session";
};

/// Spawn function of a session: decodes client messages, routes them to the
/// task manager, tasks and registry, and writes replies and task events to
/// its connection, in order and without gaps or duplicates per task.
actors::session_actor::behavior_type
session(actors::session_actor::stateful_pointer<session_state> self,
        session_setup setup);

} // namespace switchboard::ws
