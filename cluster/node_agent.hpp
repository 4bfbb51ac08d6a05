#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/interfaces.hpp"
#include "cluster/node_info.hpp"

namespace switchboard::cluster {

/// A node asks a member to admit it; the answer is the member's list.
using join_atom = caf::atom_constant<caf::atom("sbjoin")>;
/// Asks an agent for the members it knows.
using members_atom = caf::atom_constant<caf::atom("sbmembers")>;
/// Internal: time to dial the seeds that are not members.
using dial_atom = caf::atom_constant<caf::atom("sbdial")>;
/// Tells the agent its cluster port once it is published; it dials its
/// seeds from then on.
using listen_atom = caf::atom_constant<caf::atom("sblisten")>;

/// A node's agent in the cluster, the one actor each node publishes on its
/// cluster port. Agents form a full mesh: a node that joins learns every
/// member from the first one it reaches and connects to each directly, so
/// that every pair of nodes has its own connection and sees the other's
/// loss (CAF 0.17 reports no loss over an indirect route).
///
/// The agent is also the node's door for tasks (`task_door_actor`): the
/// local task manager hands it starts placed on other nodes and lookups of
/// their tasks, and other agents hand it those placed here, which it gives
/// the local manager. Remote tasks are served locally through relays.
using node_agent_actor =
    actors::remote_tools_actor::extend_with<actors::task_door_actor>::extend<
        // Admits the sender's node (`node_info` describes it, the text proves
        // that it knows the cluster's secret); answers the members this agent
        // knows, itself first, and this node's own proof.
        caf::replies_to<join_atom, node_info, std::string>::with<member_list,
                                                                 std::string>,
        // Answers the members this agent knows, itself first.
        caf::replies_to<members_atom>::with<member_list>,
        // A member's load changed: node, running tasks, draining.
        caf::reacts_to<actors::load_atom, std::string, uint64_t, bool>,
        caf::reacts_to<listen_atom, uint16_t>, caf::reacts_to<dial_atom>>;

/// A host and port to dial.
using address = std::pair<std::string, uint16_t>;

/// Everything an agent is created with.
struct agent_setup {
  /// This node (its port comes with `listen_atom`).
  node_info self;
  /// Nodes to join through (`--join`); dialled until they are members, and
  /// again when they are lost.
  std::vector<address> seeds;
  /// How often seeds that are not members are dialled.
  std::chrono::milliseconds dial_interval{1000};
  /// How long a connection or a join may take.
  std::chrono::milliseconds timeout{5000};
  /// Called with the members (this node first) after every change.
  std::function<void(const member_list&)> changed;
  /// The cluster's shared secret (`--cluster-secret`): a node that cannot
  /// prove it knows it is not admitted. Empty: none.
  std::string secret;
  /// Called when a member is lost (not when it leaves cleanly).
  std::function<void(const std::string& node)> lost;
  /// This node's registry: runs the calls other nodes send, and learns
  /// their tools after every change.
  actors::tool_registry_actor registry;
  /// This node's task manager: runs the tasks other nodes place here, and
  /// learns the other nodes after every change.
  actors::task_manager_actor manager;
};

/// State of an agent.
struct agent_state {
  /// A member other than this node.
  struct member {
    node_info info;
    node_agent_actor agent;
  };
  agent_setup setup;
  /// Members other than this node, by name.
  std::map<std::string, member> members;
  /// Addresses being dialled now.
  std::set<address> dialling;
  /// Seeds that turned out to be this node itself.
  std::set<address> own;

  static inline const char* name = "node_agent";
};

/// Spawn function of the agent: dials its seeds, admits joining nodes,
/// monitors every member, tells every member its load, and reports each
/// change.
node_agent_actor::behavior_type
node_agent(node_agent_actor::stateful_pointer<agent_state> self,
           agent_setup setup);

} // namespace switchboard::cluster
