#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace switchboard::protocol {

/// One value per task state of the wire protocol (PROTOCOL.md: the `state`
/// of snapshots, `subscribe_success`, `stop_success` and `tasks`); the one
/// home of their names.
enum class task_status : uint8_t {
  running,
  waiting_input,
  completed,
  failed,
  cancelled,
};

/// Every task state, in declaration order.
inline constexpr std::array<task_status, 5> all_task_statuses{
    task_status::running, task_status::waiting_input, task_status::completed,
    task_status::failed, task_status::cancelled};

/// Returns the wire name of `x`, e.g. "waiting_input".
std::string_view to_string(task_status x);

/// Parses a wire name.
std::optional<task_status> task_status_from_string(std::string_view name);

/// True for the states a task ends in.
constexpr bool is_terminal(task_status x) {
  return x == task_status::completed || x == task_status::failed ||
         x == task_status::cancelled;
}

} // namespace switchboard::protocol
