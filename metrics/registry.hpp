#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/error_code.hpp"
#include "protocol/event_type.hpp"
#include "protocol/task_status.hpp"

namespace prometheus {
class Counter;
class Gauge;
} // namespace prometheus

namespace switchboard::metrics {

class histogram;

/// The transport a message, stream or disconnect belongs to (the
/// `transport` label).
enum class channel : uint8_t { websocket, sse, http };

/// Why a task's wait for input ended (the `outcome` label).
enum class input_outcome : uint8_t { answered, timeout, cancelled };

/// Why the server dropped a connection (the `reason` label).
enum class disconnect_reason : uint8_t { slow_consumer, heartbeat };

/// The terminal states of a task (the `state` label).
enum class terminal_state : uint8_t { completed, failed, cancelled };

/// Number of protocol error codes, `none` included (index 0 means ok).
inline constexpr size_t error_code_count = protocol::error_code_count;

/// What `switchboard_build_info` reports.
struct build_info {
  /// Switchboard's version.
  std::string version;
  /// The compiler that built it, e.g. "gcc 12.2.0".
  std::string compiler;

  /// Returns the info of this build with `version`.
  static build_info current(std::string version);
};

/// This node's tasks at a glance: what `get_status` answers.
struct totals {
  /// Tasks running now (not waiting for input).
  int64_t running = 0;
  /// Tasks waiting for input now.
  int64_t waiting_input = 0;
  /// Tasks that failed within the last hour.
  uint64_t failed_last_hour = 0;
  /// Task events emitted since the process started.
  uint64_t events = 0;
};

/// The metrics of one task kind, resolved once at start.
struct kind_metrics {
  prometheus::Counter* started = nullptr;
  std::array<prometheus::Counter*, 3> finished{}; // by terminal_state
  histogram* duration = nullptr;
  prometheus::Counter* progress = nullptr;
  prometheus::Gauge* running = nullptr;
  prometheus::Gauge* waiting = nullptr;
  std::array<histogram*, 3> input_wait{}; // by input_outcome
};

/// The metrics of one tool. Outcome counters are created on first use (one
/// lock per tool and outcome, ever), then read with one atomic load.
struct tool_metrics {
  std::string name;
  histogram* duration = nullptr;
  std::array<std::atomic<prometheus::Counter*>, error_code_count> calls{};
};

/// Every Switchboard metric family, built once at start. Thread-safe:
/// counting is a few relaxed atomic operations and lookups in maps that
/// never change after construction; no call takes a lock (except the first
/// call of a tool with a new outcome). Pass it around as a
/// `std::shared_ptr<registry>`; a null pointer means "not counting".
class registry {
 public:
  /// Builds every family for the given task kinds and tool names.
  registry(build_info info, const std::vector<std::string>& kinds,
           const std::vector<std::string>& tools);

  ~registry();

  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Content-Type of `serialize`'s output.
  static constexpr std::string_view content_type =
      "text/plain; version=0.0.4; charset=utf-8";

  /// Returns every metric in the Prometheus text format 0.0.4.
  std::string serialize() const;

  // -- tasks -----------------------------------------------------------------

  /// Returns the metrics of task kind `name`, or nullptr for an unknown one.
  const kind_metrics* kind(std::string_view name) const;

  /// Returns this node's task totals (`now_ms`: the wall clock, to count
  /// failures within the last hour).
  totals read_totals(int64_t now_ms) const;

  // -- tools -----------------------------------------------------------------

  /// Returns the metrics of tool `name`; unknown names share the entry
  /// labelled `tool="unknown"`.
  tool_metrics& tool(std::string_view name);

  /// Counts one call of `t` that ended with `outcome` (`none` = ok).
  void tool_call(tool_metrics& t, protocol::error_code outcome);

  /// Records how long a call of `t` ran.
  void tool_duration(tool_metrics& t, double seconds);

  // -- messages and connections ----------------------------------------------

  /// Counts a message received over `c`; `type` is a client message type
  /// (unknown ones count as "other").
  void received(channel c, std::string_view type);

  /// Counts a message sent over `c`.
  void sent(channel c, std::string_view type);

  /// Counts a task event sent over `c`: an array index, no name lookup
  /// (this runs per event and subscriber).
  void sent(channel c, protocol::event_type type);

  /// Counts one error answered to a client.
  void protocol_error(protocol::error_code code);

  /// Counts a subscription that resumed after a seq > 0.
  void resume(channel c);

  /// Counts an `events_expired` answer.
  void events_expired(channel c);

  /// Counts a connection the server dropped.
  void disconnect(channel c, disconnect_reason r);

  /// Adds `delta` to the bytes queued for sending on WebSockets.
  void queue_bytes(int64_t delta);

  /// Counts an open WebSocket session or SSE stream.
  void opened(channel c);

  /// Counts a WebSocket session or SSE stream that ended.
  void closed(channel c);

  // -- the task history -------------------------------------------------------

  /// Records a commit of `events` events and `tasks` task records that
  /// took `seconds`; a failed one counts as a write error.
  void store_commit(size_t events, size_t tasks, double seconds, bool ok);

  /// Counts tasks and events that retention deleted.
  void store_expired(uint64_t tasks, uint64_t events);

  /// Sets the history's size gauges.
  void store_size(uint64_t bytes, uint64_t tasks, uint64_t events);

  // -- the cluster
  // -------------------------------------------------------------

  /// Sets how many nodes the cluster has, this one included.
  void cluster_nodes(size_t n);

  /// Counts a node lost (killed, frozen or cut off; not one that left).
  void node_lost();

 private:
  friend class task_probe;
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Shared handle; null means no counting.
using registry_ptr = std::shared_ptr<registry>;

/// Follows one task through its states; owned by the task actor. All
/// members are no-ops without a registry. Its destructor takes a task that
/// never reached a terminal state out of the gauges.
class task_probe {
 public:
  task_probe() = default;
  ~task_probe();

  task_probe(const task_probe&) = delete;
  task_probe& operator=(const task_probe&) = delete;

  /// The task of `kind` started (running).
  void start(registry_ptr reg, std::string_view kind);

  /// The task emitted a progress event.
  void progress();

  /// The task emitted an event (of any type).
  void emitted();

  /// The task waits for input.
  void waiting();

  /// The wait for input ended (answered or timed out); running again.
  void resumed(input_outcome outcome);

  /// The task ended in `state` ("completed", "failed" or "cancelled").
  void finished(protocol::task_status state);

 private:
  enum class phase : uint8_t { idle, running, waiting, done };
  void leave_phase();

  registry_ptr reg_;
  const kind_metrics* k_ = nullptr;
  phase phase_ = phase::idle;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point wait_start_;
};

/// Counts one open WebSocket session or SSE stream while it lives.
class connection_probe {
 public:
  connection_probe() = default;
  ~connection_probe() {
    close();
  }

  connection_probe(const connection_probe&) = delete;
  connection_probe& operator=(const connection_probe&) = delete;

  /// Counts the connection as open on `c`.
  void open(registry_ptr reg, channel c);

  /// Counts it as closed (once).
  void close();

 private:
  registry_ptr reg_;
  channel c_ = channel::websocket;
};

} // namespace switchboard::metrics
