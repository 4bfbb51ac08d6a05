#pragma once

#include <string>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/atom.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include "protocol/event_type.hpp"
#include "protocol/frame.hpp"
#include "protocol/records.hpp"

namespace switchboard::actors {

/// Starts a task or a flow.
using start_atom = caf::atom_constant<caf::atom("start")>;
/// Stops a task.
using stop_atom = caf::atom_constant<caf::atom("stop")>;
/// Delivers an answer to a pending input request.
using input_atom = caf::atom_constant<caf::atom("input")>;
/// Lists tools or tasks.
using list_atom = caf::atom_constant<caf::atom("list")>;
/// Looks something up.
using get_atom = caf::atom_constant<caf::atom("get")>;
/// Calls a tool.
using call_atom = caf::atom_constant<caf::atom("call")>;
/// Subscribes a sink to a task's events.
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
/// Removes a sink from a task's subscribers.
using unsubscribe_atom = caf::atom_constant<caf::atom("unsubscr")>;
/// Carries one task event.
using event_atom = caf::atom_constant<caf::atom("event")>;
/// Resumes a flow (internal to the task actor).
using resume_atom = caf::atom_constant<caf::atom("resume")>;
/// A timer fired.
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
/// A worker finished a job.
using done_atom = caf::atom_constant<caf::atom("done")>;
/// Periodic heartbeat tick.
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;
/// A text message from a client.
using text_atom = caf::atom_constant<caf::atom("text")>;
/// A binary message from a client.
using binary_atom = caf::atom_constant<caf::atom("binary")>;
/// A client message over the size limit.
using too_large_atom = caf::atom_constant<caf::atom("too_large")>;
/// The client's connection is gone.
using closed_atom = caf::atom_constant<caf::atom("closed")>;
/// A retained task's retention period ended.
using expire_atom = caf::atom_constant<caf::atom("expire")>;
/// Asks for a task's JSON snapshot.
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;
/// Registers a tool.
using register_atom = caf::atom_constant<caf::atom("register")>;
/// Asks the task manager to drain: no new tasks, stop the rest after grace.
using drain_atom = caf::atom_constant<caf::atom("drain")>;
/// Periodic check for stale and orphaned tasks.
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
/// A task reached its terminal state.
using finished_atom = caf::atom_constant<caf::atom("finished")>;
/// Tells a client that the server drains.
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
/// Asks a session to close its connection.
using close_atom = caf::atom_constant<caf::atom("close")>;
/// Cancels a caller's tool call.
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
/// Grants a subscriber's task credit for more events.
using credit_atom = caf::atom_constant<caf::atom("credit")>;
/// Tells a subscriber that events it had not received fell out of the log.
using gap_atom = caf::atom_constant<caf::atom("gap")>;
/// Acknowledges a request without a value.
using ok_atom = caf::atom_constant<caf::atom("ok")>;
/// The other nodes' tools changed.
using remote_atom = caf::atom_constant<caf::atom("remote")>;
/// The `tools_changed` message for every client (its JSON text).
using notice_atom = caf::atom_constant<caf::atom("notice")>;
/// Asks for, or tells, a node's load (running tasks, draining).
using load_atom = caf::atom_constant<caf::atom("load")>;
/// Starts a task on this node, whatever the placement would choose.
using here_atom = caf::atom_constant<caf::atom("here")>;

/// A serialized task event: shared by pointer between local actors, sent as
/// text to other nodes.
struct event_frame {
  /// The event's seq.
  uint64_t seq = 0;
  /// The event's type, so that no consumer parses the text again.
  protocol::event_type type = protocol::event_type::started;
  /// The event's JSON text.
  protocol::frame data;
};

/// CAF inspection for `event_frame`: copies the text only when serialized.
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_frame& x) {
  std::string text;
  auto type = static_cast<uint8_t>(x.type);
  if constexpr (Inspector::reads_state)
    if (x.data)
      text = *x.data;
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x.data = protocol::make_frame(std::move(text));
    x.type = static_cast<protocol::event_type>(type);
    return caf::none;
  });
  return f(caf::meta::type_name("event_frame"), x.seq, type, text, load);
}

/// What a subscriber gets back: the task's state and the first retained
/// events after the requested seq, in order. The rest follow as the
/// subscriber grants credit (`credit_atom`).
struct subscription {
  /// The task's id.
  std::string task_id;
  /// The task itself (a `task_actor`): a subscribe handed on by the manager
  /// is answered by the task.
  caf::strong_actor_ptr task;
  /// The task's state when subscribing.
  std::string state;
  /// Retained events after the requested seq, at most one window of them.
  std::vector<event_frame> backlog;
  /// Seq of the last event in `backlog`, or of the last one it skipped
  /// (without a backlog: the seq after which events follow).
  uint64_t last_seq = 0;
  /// True when `backlog` holds the task's terminal event, or the task has
  /// ended and nothing follows: the subscription is over.
  bool ended = false;
  /// True when events after the requested seq fell out of the log.
  bool expired = false;
  /// The task's JSON snapshot, filled when `expired` or when the task has
  /// ended and the requested seq lies beyond its last event.
  std::string snapshot;
};

/// CAF inspection for `subscription`.
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscription& x) {
  return f(caf::meta::type_name("subscription"), x.task_id, x.task, x.state,
           x.backlog, x.last_seq, x.ended, x.expired, x.snapshot);
}

} // namespace switchboard::actors

namespace switchboard::protocol {

/// CAF inspection for `tool_info`.
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, tool_info& x) {
  return f(caf::meta::type_name("tool_info"), x.name, x.description, x.schema,
           x.node);
}

/// CAF inspection for `task_info`.
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_info& x) {
  return f(caf::meta::type_name("task_info"), x.task_id, x.task, x.state,
           x.created_ms, x.last_seq, x.ended_ms, x.node, x.ordinal);
}

/// CAF inspection for `task_filter`.
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_filter& x) {
  return f(caf::meta::type_name("task_filter"), x.states, x.kind, x.since_ms,
           x.until_ms);
}

} // namespace switchboard::protocol
