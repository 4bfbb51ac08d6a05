#pragma once

#include <map>
#include <memory>
#include <string>

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
};

/// State of the task manager.
struct task_manager_state {
  task_manager_setup setup;
  std::map<std::string, task_actor> tasks;
  std::map<caf::actor_addr, std::string> ids;

  static inline const char* name = "task_manager";
};

/// Returns a new unguessable id: `prefix` followed by 128 random bits in hex.
std::string make_id(std::string_view prefix);

/// Spawn function of the task manager: creates tasks with unguessable ids,
/// maps ids to task actors, lists them and forgets them when they end.
task_manager_actor::behavior_type
task_manager(task_manager_actor::stateful_pointer<task_manager_state> self,
             task_manager_setup setup);

} // namespace switchboard::actors
