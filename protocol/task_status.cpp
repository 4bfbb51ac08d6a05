#include "protocol/task_status.hpp"

namespace switchboard::protocol {

std::string_view to_string(task_status x) {
  switch (x) {
  case task_status::running: return "running";
  case task_status::waiting_input: return "waiting_input";
  case task_status::completed: return "completed";
  case task_status::failed: return "failed";
  case task_status::cancelled: return "cancelled";
  }
  return "unknown";
}

std::optional<task_status> task_status_from_string(std::string_view name) {
  for (auto x : all_task_statuses)
    if (to_string(x) == name)
      return x;
  return std::nullopt;
}

} // namespace switchboard::protocol
