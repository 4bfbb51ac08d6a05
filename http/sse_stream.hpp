#pragma once

#include <chrono>
#include <string>

#include <caf/actor_clock.hpp>

#include "actors/interfaces.hpp"
#include "metrics/registry.hpp"
#include "transport/http_types.hpp"
#include "util/fifo.hpp"

namespace switchboard::http {

/// One Server-Sent Events stream of a task's events.
using sse_stream_actor = actors::event_sink::extend<
    caf::reacts_to<actors::heartbeat_atom>, caf::reacts_to<actors::closed_atom>,
    // Internal: look again whether the client has room.
    caf::reacts_to<actors::resume_atom>>;

/// What an SSE stream is created with.
struct sse_stream_setup {
  /// The HTTP exchange to stream on.
  transport::http_exchange_ptr exchange;
  /// The task to watch.
  actors::task_actor task;
  /// Its id.
  std::string task_id;
  /// Replay events with seq greater than this.
  uint64_t after = 0;
  /// `?coalesce=progress`: while behind, only the latest of each run of
  /// progress events.
  bool coalesce = false;
  /// Interval of `: hb` comments.
  std::chrono::milliseconds heartbeat{15000};
  /// Reconnect delay advertised with `retry:`.
  std::chrono::milliseconds retry{2000};
  /// How long to wait for the task's answers.
  std::chrono::milliseconds request_timeout{30000};
  /// Where the stream is counted (null: nowhere).
  metrics::registry_ptr metrics;
};

/// State of an SSE stream actor.
struct sse_stream_state {
  sse_stream_setup setup;
  /// An event or a named message waiting for room in the response.
  struct pending {
    uint64_t seq = 0;
    protocol::event_type type = protocol::event_type::started;
    protocol::frame data;
    bool terminal = false;
    /// A complete named message (`error`, `snapshot`) instead of an event.
    protocol::frame named;
  };
  uint64_t last_sent = 0;
  /// When the stream opened (actor clock).
  caf::actor_clock::time_point opened;
  /// What waits for the client to read, in order (bounded by credit).
  util::fifo<pending> outbox;
  /// End the response once the outbox is written.
  bool end_pending = false;
  /// Events received since the task was last granted credit for them.
  uint64_t owed = 0;
  bool retry_scheduled = false;
  bool done = false;
  metrics::connection_probe probe;

  static inline const char* name = "sse_stream";
};

/// Spawn function of an SSE stream: subscribes to the task, writes
/// `retry:`, the retained events after `after` (or `events_expired` and the
/// snapshot when they fell out of the log), then live events, comment
/// heartbeats, and ends the response after the terminal event.
sse_stream_actor::behavior_type
sse_stream(sse_stream_actor::stateful_pointer<sse_stream_state> self,
           sse_stream_setup setup);

} // namespace switchboard::http
