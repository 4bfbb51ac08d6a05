#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"
#include "protocol/records.hpp"

namespace switchboard::actors {

/// Receives task events in batches: task id, events in seq order (a sink
/// that coalesces progress sees gaps in the seqs), and whether the last one
/// is the task's terminal event; and gaps: task id, the seq after which
/// events the sink had not received fell out of the log, and the task's
/// snapshot (the events from the oldest retained one follow).
using event_sink = caf::typed_actor<
    caf::reacts_to<event_atom, std::string, std::vector<event_frame>, bool>,
    caf::reacts_to<gap_atom, std::string, uint64_t, std::string>>;

/// One task: state machine, event log, subscribers, pending input.
using task_actor = caf::typed_actor<
    // Subscribes a sink; replays events with seq > the given one; with the
    // flag set, a sink that is behind gets only the latest of each run of
    // progress events (with "skipped").
    caf::replies_to<subscribe_atom, event_sink, uint64_t,
                    bool>::with<subscription>,
    caf::reacts_to<unsubscribe_atom, event_sink>,
    // Lets a subscriber receive this many more events: a subscription is a
    // cursor into the log, and events leave only as fast as it reads.
    caf::reacts_to<credit_atom, event_sink, uint64_t>,
    // Stops with a reason; answers the (terminal) state.
    caf::replies_to<stop_atom, std::string>::with<std::string>,
    // Answers the pending request (request id, value as JSON text).
    caf::replies_to<input_atom, std::string, std::string>::with<ok_atom>,
    caf::replies_to<get_atom>::with<protocol::task_info>,
    // Answers the task's snapshot as JSON text.
    caf::replies_to<snapshot_atom>::with<std::string>,
    // Internal: resumes the flow when the timer with this token fires.
    caf::reacts_to<resume_atom, uint64_t>,
    // Internal: the input request with this token timed out.
    caf::reacts_to<timeout_atom, uint64_t>,
    // Internal: the retention period of a finished task ended.
    caf::reacts_to<expire_atom>,
    // Checks whether the task is stale or orphaned.
    caf::reacts_to<sweep_atom>>;

/// Where tasks of other nodes are started and found: this node's agent in
/// the cluster. A start names the node to run on; a lookup finds the node
/// in the task's id. Both answer a local stand-in for the remote task.
using task_door_actor = caf::typed_actor<
    // Starts a task on a node: node, kind, params (JSON text), owner.
    caf::replies_to<start_atom, std::string, std::string, std::string,
                    std::string>::with<std::string, task_actor>,
    // As above with a first subscriber (sink, coalesce flag) attached.
    caf::replies_to<start_atom, std::string, std::string, std::string,
                    std::string, event_sink, bool>::with<subscription>,
    // Finds a task of another node by id for a principal.
    caf::replies_to<get_atom, std::string, std::string>::with<task_actor>,
    // Lists a node's tasks: node, then as the manager's own list.
    caf::replies_to<
        list_atom, std::string, std::string, protocol::task_filter, uint64_t,
        std::string>::with<std::vector<protocol::task_info>, std::string>>;

/// Another node as the task manager sees it when placing a task.
struct peer_node {
  /// The node's name.
  std::string name;
  /// The task kinds it runs.
  std::vector<std::string> kinds;
  /// Its running tasks, as it last said.
  uint64_t running = 0;
  /// True while it drains: it takes no new tasks.
  bool draining = false;
};

/// Creates, finds and lists tasks.
using task_manager_actor = caf::typed_actor<
    // Starts a task of a kind with params (JSON text) for an owner.
    caf::replies_to<start_atom, std::string, std::string,
                    std::string>::with<std::string, task_actor>,
    // Starts a task as above with a first subscriber (sink, coalesce flag)
    // attached; the task answers with the subscription, its `started`
    // event in the backlog.
    caf::replies_to<start_atom, std::string, std::string, std::string,
                    event_sink, bool>::with<subscription>,
    // Starts a task on this node (another node placed it here), with or
    // without a first subscriber, as above.
    caf::replies_to<start_atom, here_atom, std::string, std::string,
                    std::string>::with<std::string, task_actor>,
    caf::replies_to<start_atom, here_atom, std::string, std::string,
                    std::string, event_sink, bool>::with<subscription>,
    // Finds a task by id for a principal (`forbidden` if not its owner).
    caf::replies_to<get_atom, std::string, std::string>::with<task_actor>,
    // Lists the tasks a principal may see, newest first: principal, filter,
    // at most this many, after this cursor ("" for the newest); answers a
    // page and the cursor of the next one ("" at the end). With the store
    // the list is the history; without, the tasks in memory, and a page may
    // hold fewer than asked for while more follow. In a cluster it covers
    // every node, newest first by creation time.
    caf::replies_to<list_atom, std::string, protocol::task_filter, uint64_t,
                    std::string>::with<std::vector<protocol::task_info>,
                                       std::string>,
    // Lists this node's tasks only, as above (cursors are this node's).
    caf::replies_to<
        list_atom, here_atom, std::string, protocol::task_filter, uint64_t,
        std::string>::with<std::vector<protocol::task_info>, std::string>,
    // Drains: refuses new tasks, stops running ones after the grace period
    // (ms) with reason "shutdown", answers once every task is finished.
    caf::replies_to<drain_atom, int64_t>::with<ok_atom>,
    // Answers this node's load: running tasks, and whether it drains.
    caf::replies_to<load_atom>::with<uint64_t, bool>,
    // The other nodes of the cluster, all of them, and where their tasks
    // are reached: a start may be placed on one of them, and an id that
    // names one of them is looked up there.
    caf::reacts_to<remote_atom, task_door_actor, std::vector<peer_node>>,
    // Internal: a task reached its terminal state.
    caf::reacts_to<finished_atom, std::string, uint64_t>,
    // Internal: time to check for stale and orphaned tasks.
    caf::reacts_to<sweep_atom>,
    // Internal: the drain's grace period ended.
    caf::reacts_to<timeout_atom>>;

/// Where another node's tools are called: its node agent, which hands the
/// calls to its own registry.
using remote_tools_actor = caf::typed_actor<
    caf::replies_to<call_atom, std::string, std::string, std::string,
                    std::string>::with<std::string>,
    caf::reacts_to<cancel_atom, std::string, std::string>>;

/// The tools of another node, and where to call them.
struct remote_catalog {
  /// The node's name.
  std::string node;
  /// Where its tools are called.
  remote_tools_actor handle;
  /// Its tools (their `node` is its name).
  std::vector<protocol::tool_info> tools;
};

/// The catalog of tools; validates arguments and routes calls.
using tool_registry_actor = caf::typed_actor<
    caf::replies_to<list_atom>::with<std::vector<protocol::tool_info>>,
    // Calls a tool: caller key, call id, tool name, args as JSON text;
    // answers the result as JSON text.
    caf::replies_to<call_atom, std::string, std::string, std::string,
                    std::string>::with<std::string>,
    // Cancels the call of a caller key with a call id if it is still
    // running: its worker stops soon and its result is discarded.
    caf::reacts_to<cancel_atom, std::string, std::string>,
    // Cancels every running call of a caller key (its client went away).
    caf::reacts_to<cancel_atom, std::string>,
    // Internal: a worker finished job N with code, result JSON and message.
    caf::reacts_to<done_atom, uint64_t, uint8_t, std::string, std::string>,
    // The tools of the other nodes of the cluster, all of them: each is
    // listed and called as NODE/TOOL; calls to a node that left fail with
    // `node_lost`.
    caf::reacts_to<remote_atom, std::vector<remote_catalog>>>;

/// One client connection.
using session_actor = event_sink::extend<
    caf::reacts_to<text_atom, std::string>, caf::reacts_to<binary_atom>,
    caf::reacts_to<too_large_atom>, caf::reacts_to<closed_atom>,
    caf::reacts_to<heartbeat_atom>,
    // The server drains; the grace period in ms.
    caf::reacts_to<shutdown_atom, int64_t>,
    // Closes the connection with a code after the queued frames.
    caf::reacts_to<close_atom, uint16_t>,
    // Sends a `tools_changed` message (its JSON text).
    caf::reacts_to<notice_atom, std::string>,
    // Internal: writes more of a paced replay.
    caf::reacts_to<resume_atom>>;

} // namespace switchboard::actors

// A catalog holds a handle and stays on its node: the agent builds it from
// what crossed the network.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchboard::actors::remote_catalog)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<switchboard::actors::remote_catalog>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<switchboard::actors::peer_node>)
