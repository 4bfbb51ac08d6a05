#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_clock.hpp>

#include "actors/interfaces.hpp"
#include "flows/catalog.hpp"
#include "flows/flow.hpp"
#include "metrics/registry.hpp"
#include "protocol/encoder.hpp"
#include "protocol/event_type.hpp"
#include "protocol/schema.hpp"
#include "protocol/task_status.hpp"
#include "store/writer.hpp"
#include "util/fifo.hpp"

namespace switchboard::tools {
class workspace;
} // namespace switchboard::tools

namespace switchboard::actors {

/// Events a subscriber may have in flight before it grants more credit.
inline constexpr uint64_t event_window = 256;

/// Longest `reason` a client may give when stopping a task.
inline constexpr size_t max_stop_reason_bytes = 1024;

/// Limits and timings of a task.
struct task_limits {
  /// Events kept in the log; older ones fall out (resume gets
  /// `events_expired`).
  size_t max_log = 10000;
  /// How long a finished task's actor stays in memory (with the store, a
  /// forgotten task is loaded again when asked for).
  std::chrono::milliseconds retention{10 * 60 * 1000};
  /// How long a tool call may take.
  std::chrono::milliseconds tool_timeout{60 * 1000};
  /// Tool results larger than this are summarized in `tool_result` events.
  size_t max_event_result_bytes = 64 * 1024;
  /// A running task silent this long fails with `timeout` (0: never).
  std::chrono::milliseconds stale_after{0};
  /// A task nobody watched this long is stopped (0: never).
  std::chrono::milliseconds orphan_after{0};
};

/// Everything a task actor is created with.
struct task_setup {
  /// The task's id.
  std::string id;
  /// The kind to run.
  const flows::flow_kind* kind = nullptr;
  /// Validated params with defaults, as JSON text.
  std::string params;
  /// Who started the task (a token's name, or empty).
  std::string owner;
  /// Where tool calls go.
  tool_registry_actor registry;
  /// Told when the task finishes (may be invalid in tests).
  task_manager_actor manager;
  /// What flows may read.
  std::shared_ptr<const tools::workspace> workspace;
  /// Limits and timings.
  task_limits limits;
  /// Where the task is counted (null: nowhere).
  metrics::registry_ptr metrics;
  /// Creation time in unix milliseconds.
  int64_t created_ms = 0;
  /// The history (invalid: the task lives in memory only).
  store::writer_actor store;
  /// This node's name.
  std::string node;
  /// Its place in start order (the history's key).
  uint64_t ordinal = 0;
  /// Set for a finished task loaded from the history: nothing runs, and
  /// every event is read from the store.
  std::optional<store::task_row> archived;
};

/// State of a task actor; also the host its flow runs in.
struct task_state : flows::host {
  /// A pending input request.
  struct pending_input {
    std::string request_id;
    std::string prompt;
    std::string schema_text;
    protocol::schema schema;
    int64_t timeout_ms;
    /// What the question is about (a JSON object), or empty.
    std::string context;
    /// When the request was made (unix ms).
    int64_t ts;
  };

  task_actor::stateful_pointer<task_state> self = nullptr;
  task_setup setup;
  /// The kind's name.
  std::string kind_name;
  /// End time in unix milliseconds, or 0 while running.
  int64_t ended_ms = 0;
  /// Seq of the last event the store has committed: subscribers get
  /// events up to it only.
  uint64_t durable_seq = 0;
  /// What was emitted since the last hand-off to the store.
  store::batch unsaved;
  /// The state last handed to the store, if any.
  std::optional<protocol::task_status> saved_state;
  /// Set once a write failed: the task ends, and what it has in memory goes
  /// out without waiting for the store.
  bool store_failed = false;
  /// Set once the manager was told that the task finished.
  bool reported = false;
  /// True while an append to the store is in flight.
  bool saving = false;
  /// A resume held back until the store catches up.
  std::optional<uint64_t> held_resume;
  /// Answers that wait for the task's first commit (a task becomes visible
  /// with it).
  std::vector<std::function<void()>> first_commit;
  protocol::task_status state = protocol::task_status::running;
  /// The state before the terminal one, shown until the terminal event is
  /// visible (saved).
  protocol::task_status state_before_end = protocol::task_status::running;
  bool terminal = false;
  bool started = false;
  uint64_t next_seq = 1;
  /// One event of the log.
  struct log_entry {
    uint64_t seq;
    protocol::event_type type;
    protocol::frame frame;
  };
  util::fifo<log_entry> events;
  /// A subscriber: a cursor into the log plus the events it may still be
  /// sent before it grants more.
  struct subscriber {
    event_sink sink;
    uint64_t sent = 0;
    uint64_t credit = 0;
    /// Skips all but the latest of a run of progress events while behind.
    bool coalesce = false;
    /// Progress events skipped since the last one sent.
    uint64_t skipped = 0;
    /// True while a read from the store is under way for it.
    bool reading = false;
    /// Numbers its reads; a reply to an older one is ignored.
    uint64_t read_token = 0;
  };
  std::vector<subscriber> subscribers;
  std::unique_ptr<flows::context> ctx;
  flows::flow coro;
  std::optional<std::string> stop_reason;
  std::optional<flows::flow_failure> abort_failure;
  caf::actor_clock::time_point last_event_at;
  caf::actor_clock::time_point unwatched_since;
  uint64_t wait_token = 0;
  uint64_t call_counter = 0;
  uint64_t request_counter = 0;
  std::optional<pending_input> input;
  /// Call id of the tool call the flow waits for, if any.
  std::optional<std::string> tool_call_id;
  std::string progress_json = "null";
  std::string end_json;
  metrics::task_probe probe;

  static inline const char* name = "task";

  /// Appends an event of `type`; `fill` adds the type-specific fields.
  template<class F>
  void emit(protocol::event_type type, F&& fill);

  /// Subscribes `sink` from seq `after`: answers the subscription with the
  /// first window of events, and keeps a cursor while more follow.
  subscription subscribe(const event_sink& sink, uint64_t after, bool coalesce);

  /// Sends subscriber `s` what its credit allows, from its cursor on, in
  /// one batch (and a gap first if it fell behind the log).
  void push(subscriber& s);

  /// Hands what was emitted to the store, then pushes to every subscriber;
  /// called once the handler that emitted is done, so that a burst of
  /// events leaves in one commit and one message per subscriber.
  void deliver();

  /// True while events go to the store before subscribers see them.
  bool stored() const {
    return setup.store && !store_failed;
  }

  /// False until the task's first commit: it becomes visible (its start
  /// reply, its first subscribes, its record in the list) with it.
  bool visible_yet() const {
    return !stored() || durable_seq > 0;
  }

  /// Seq up to which subscribers may be sent events.
  uint64_t visible() const {
    return stored() ? durable_seq : last_seq();
  }

  /// Hands the events and the state change since the last call to the
  /// store.
  void save();

  /// The task's record as stored.
  store::task_row row() const;

  /// Reads the events behind the log for `s` from the store.
  void read_from_store(subscriber& s);

  /// Sends a subscriber the events read for it (none: the store lost them).
  void on_store_rows(const event_sink& sink, uint64_t token,
                     std::vector<store::event_row> rows);

  /// True when the store lags a window behind: the flow waits.
  bool store_behind() const;

  /// Tells the manager that the task finished, once its terminal event is
  /// out, and starts its retention.
  void report_finished();

  /// Ends the task because its history cannot be written.
  void storage_failed(const std::string& why);

  /// Moves `s`'s cursor over what its credit allows and appends those
  /// events to `out`; the cursor must lie within the log or at its end.
  void collect(subscriber& s, std::vector<event_frame>& out);

  /// Forgets subscribers that have received the terminal event.
  void drop_finished_subscribers();

  /// Returns the subscriber entry of `sink`, or null.
  subscriber* find_subscriber(const event_sink& sink);

  /// Resumes the suspended flow and finishes the task if it ended.
  void resume(std::coroutine_handle<> h);

  /// Ends the task with its terminal event, once.
  void finish();

  /// Tells the registry to cancel the tool call in flight, if any.
  void cancel_tool_call();

  /// Cancels the flow at its suspension point and ends the task with
  /// `stopped` (reason) or, when `failure` is set, with `error`.
  void abort(std::string reason, std::optional<flows::flow_failure> failure);

  /// Returns the task's snapshot as JSON text.
  std::string snapshot() const;

  /// Returns the task as listed.
  protocol::task_info info() const;

  /// Returns the state as readers may see it: the terminal state only once
  /// the terminal event is visible, so that a snapshot that says a task
  /// ended also has every event up to its end (`last_seq`).
  protocol::task_status shown_state() const {
    return terminal && !ended_visibly() ? state_before_end : state;
  }

  /// True once the terminal event is visible (saved).
  bool ended_visibly() const {
    return terminal && visible() >= last_seq();
  }

  /// Returns the seq of the last event.
  uint64_t last_seq() const {
    return next_seq - 1;
  }

  // -- flows::host ------------------------------------------------------------

  void progress(int64_t step, int64_t total, std::string_view message) override;
  void log(std::string_view level, std::string_view message) override;
  void call_tool(std::string tool, std::string args,
                 flows::wait_slot& slot) override;
  void ask(std::string prompt, std::string schema,
           std::chrono::milliseconds timeout, std::string context,
           flows::wait_slot& slot) override;
  void sleep(std::chrono::milliseconds delay, flows::wait_slot& slot) override;
  const std::optional<std::string>& stop_requested() const override {
    return stop_reason;
  }

 private:
  void end(protocol::event_type type, protocol::task_status final_state,
           const std::function<void(protocol::message_writer&)>& fill,
           std::string end_json);
};

/// Spawn function of a task actor.
task_actor::behavior_type task(task_actor::stateful_pointer<task_state> self,
                               task_setup setup);

} // namespace switchboard::actors
