#pragma once

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

namespace switchboard::protocol {

/// A tool as listed to clients (`list_tools`, `GET /api/tools`).
struct tool_info {
  /// Unique name, e.g. "fs.list".
  std::string name;
  /// One sentence for people.
  std::string description;
  /// JSON Schema of the arguments, as JSON text.
  std::string schema;
  /// Name of the node that runs the tool.
  std::string node;
};

/// A task as listed to clients (`list_tasks`, `GET /api/tasks`).
struct task_info {
  /// Cluster-unique id, e.g. "t-3f2a...".
  std::string task_id;
  /// Task kind, e.g. "audit".
  std::string task;
  /// One of running, waiting_input, completed, failed, cancelled.
  std::string state;
  /// Creation time in unix milliseconds.
  int64_t created_ms = 0;
  /// Seq of the last event appended so far.
  uint64_t last_seq = 0;
  /// End time in unix milliseconds, or 0 while the task runs.
  int64_t ended_ms = 0;
  /// Name of the node that runs or ran the task.
  std::string node;
  /// Its place in its node's start order (lists page by it); never sent.
  uint64_t ordinal = 0;
};

/// Which tasks `list_tasks` and `GET /api/tasks` return.
struct task_filter {
  /// Only tasks in one of these states (wire names); empty: any.
  std::vector<std::string> states;
  /// Only tasks of this kind; empty: any.
  std::string kind;
  /// Only tasks created at or after this time (unix ms).
  int64_t since_ms = INT64_MIN;
  /// Only tasks created before this time (unix ms).
  int64_t until_ms = INT64_MAX;
};

} // namespace switchboard::protocol
