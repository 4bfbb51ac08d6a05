#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "actors/messages.hpp"
#include "protocol/records.hpp"

namespace switchboard::cluster {

/// One node of a cluster as the directory knows it.
struct node_info {
  /// The node's name (`--node-name`), unique in the cluster.
  std::string name;
  /// Tells one run of the node from the next: a node that restarts under
  /// the same name is a new member.
  std::string incarnation;
  /// Where its cluster port listens.
  std::string host;
  /// Its cluster port.
  uint16_t port = 0;
  /// The task kinds it runs.
  std::vector<std::string> kinds;
  /// The tools it offers (their `node` is its name).
  std::vector<protocol::tool_info> tools;
  /// Its running tasks, as it last said.
  uint64_t running = 0;
  /// True while it drains: it takes no new tasks.
  bool draining = false;
};

/// CAF inspection for `node_info` (it crosses the network).
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_info& x) {
  return f(caf::meta::type_name("node_info"), x.name, x.incarnation, x.host,
           x.port, x.kinds, x.tools, x.running, x.draining);
}

/// The members a node knows, itself included.
using member_list = std::vector<node_info>;

} // namespace switchboard::cluster
