#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/typed_response_promise.hpp>

#include "actors/interfaces.hpp"
#include "actors/task.hpp"

namespace switchboard::actors {

/// What the task manager needs to create tasks.
struct task_manager_setup {
  /// Where tasks call tools.
  tool_registry_actor registry;
  /// What flows may read.
  std::shared_ptr<const tools::workspace> workspace;
  /// Limits and timings handed to every task.
  task_limits limits;
  /// Where tasks are counted (null: nowhere).
  metrics::registry_ptr metrics;
  /// Running tasks beyond which `start` answers `overloaded`.
  size_t max_running = 10000;
  /// Largest params object (JSON bytes) a `start` may carry.
  size_t max_params_bytes = 64 * 1024;
  /// Bytes that the logs of finished tasks may pin together; past it the
  /// oldest finished tasks are forgotten before their retention ends.
  uint64_t max_retained_bytes = 256 * 1024 * 1024;
  /// The history (invalid: tasks live in memory only).
  store::writer_actor store;
  /// This node's name, stored with each task.
  std::string node = "local";
  /// True in a cluster: task ids name their node (`t-NODE-HEX`), so that
  /// any node finds any task.
  bool clustered = false;
  /// The highest ordinal the history holds: new tasks count on from it.
  uint64_t last_ordinal = 0;
};

/// State of the task manager.
struct task_manager_state {
  task_manager_setup setup;
  std::map<std::string, task_actor> tasks;
  std::map<caf::actor_addr, std::string> ids;
  std::map<std::string, std::string> owners;
  std::set<std::string> running;
  /// Every known task by start order (the list's cursor), and back.
  std::map<uint64_t, std::string> by_ordinal;
  std::map<std::string, uint64_t> ordinal_of;
  uint64_t next_ordinal = 1;
  /// Finished tasks still retained, by start ordinal, and the bytes each
  /// pins.
  std::map<uint64_t, uint64_t> finished;
  uint64_t retained_bytes = 0;
  bool draining = false;
  bool sweeping = false;
  /// Where other nodes' tasks are reached (invalid: alone), and those
  /// nodes.
  task_door_actor door;
  std::vector<peer_node> peers;
  std::optional<caf::typed_response_promise<ok_atom>> drained;
  /// Lookups of tasks being loaded from the history, by id.
  std::map<std::string,
           std::vector<
               std::pair<std::string, caf::typed_response_promise<task_actor>>>>
      loading;

  static inline const char* name = "task_manager";
};

/// Returns a new unguessable id: `prefix` followed by 128 random bits in hex.
std::string make_id(std::string_view prefix);

/// Returns the node a task id names (`t-NODE-HEX`), or an empty view for the
/// ids of a node alone (`t-HEX`) and for anything else.
std::string_view node_of_task(std::string_view id);

/// Spawn function of the task manager: creates tasks with unguessable ids,
/// maps ids to task actors and owners, lists them, forgets them when they
/// end, sweeps for stale and orphaned tasks, and drains at shutdown.
task_manager_actor::behavior_type
task_manager(task_manager_actor::stateful_pointer<task_manager_state> self,
             task_manager_setup setup);

} // namespace switchboard::actors
