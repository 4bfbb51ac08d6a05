#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/interfaces.hpp"

namespace switchboard::cluster {

/// Internal: time to check whether a relay is still used.
using idle_atom = caf::atom_constant<caf::atom("sbidle")>;

/// A local stand-in for a task of another node: sessions and HTTP exchanges
/// talk to it as to a local task, and it forwards to the remote one. It is
/// also the remote task's subscriber, so that it sees the task's node go:
/// then the sink it serves gets one terminal `error` event with code
/// `node_lost` (seq after the last one it got), and requests in flight fail
/// with `node_lost`.
using task_relay_actor =
    actors::task_actor::extend_with<actors::event_sink>::extend<
        // Starts the task on the relay's node with the sink given as the
        // relay's own (node, kind, params, owner, sink, coalesce): the
        // remote task answers the relay, and its events follow in order.
        caf::replies_to<actors::start_atom, std::string, std::string,
                        std::string, std::string, actors::event_sink,
                        bool>::with<actors::subscription>,
        caf::reacts_to<idle_atom>>;

/// Everything a relay is created with.
struct relay_setup {
  /// The task's id.
  std::string task_id;
  /// The node the task runs on.
  std::string node;
  /// The remote task (invalid until a start made through the relay is
  /// answered).
  actors::task_actor remote;
  /// Where the task is started: the agent of its node.
  actors::task_door_actor door;
  /// The agent that made it: a relay quits with it (the node shuts down),
  /// so that no idle relay holds the shutdown up.
  caf::actor_addr parent;
  /// A relay nobody talked to this long quits.
  std::chrono::milliseconds idle{60000};
};

/// State of a relay.
struct relay_state {
  relay_setup setup;
  /// The one local sink served, once one subscribed.
  actors::event_sink sink;
  /// Seq of the last event forwarded to the sink.
  uint64_t last_seq = 0;
  /// True once the sink got the task's terminal event.
  bool ended = false;
  /// Set by every message; the idle check clears it.
  bool used = true;
  /// Requests in flight to the remote task, by number: failed with
  /// `node_lost` if it goes.
  std::map<uint64_t, std::function<void(const caf::error&)>> pending;
  uint64_t requests = 0;

  static inline const char* name = "task_relay";
};

/// Spawn function of a relay.
task_relay_actor::behavior_type
task_relay(task_relay_actor::stateful_pointer<relay_state> self,
           relay_setup setup);

/// Returns the JSON text of the terminal `error` event a sink gets when the
/// node of its task is lost.
std::string node_lost_event(const std::string& task_id, uint64_t seq,
                            const std::string& node);

} // namespace switchboard::cluster
