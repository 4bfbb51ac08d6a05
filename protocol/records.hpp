#pragma once

#include <cstdint>
#include <string>

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
};

} // namespace switchboard::protocol
