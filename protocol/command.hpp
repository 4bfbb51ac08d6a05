#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/records.hpp"

namespace switchboard::protocol {

/// The client-to-server message types of protocol version 1.
enum class command_type {
  start,
  stop,
  input,
  list_tools,
  call_tool,
  subscribe,
  unsubscribe,
  list_tasks,
  list_kinds,
  ping,
  /// The node at a glance (reply `status`).
  get_status,
};

/// Every command type, in declaration order.
inline constexpr std::array<command_type, 11> all_command_types{
    command_type::start,       command_type::stop,
    command_type::input,       command_type::list_tools,
    command_type::call_tool,   command_type::subscribe,
    command_type::unsubscribe, command_type::list_tasks,
    command_type::list_kinds,  command_type::ping,
    command_type::get_status,
};

/// Returns the wire name of `x`, e.g. "call_tool".
std::string_view to_string(command_type x);

/// Parses a wire name.
std::optional<command_type> command_type_from_string(std::string_view name);

/// Most entries a `list_tasks` page holds, and its default size.
inline constexpr uint64_t max_list_limit = 1000;

/// Longest identifier a client may send (ids of tasks, requests, calls,
/// tools and kinds).
inline constexpr size_t max_name_bytes = 256;

/// The one coalescing mode of `start`, `subscribe` and SSE's `?coalesce=`.
inline constexpr std::string_view coalesce_progress = "progress";

/// A validated client message. JSON-valued fields hold compact JSON text so
/// that a command can cross actor and node boundaries as plain strings.
struct command {
  /// Which message this is.
  command_type type = command_type::ping;
  /// The client's `id` as raw JSON (string literal or number), or empty.
  std::string id;
  /// `start`: the task kind.
  std::string task;
  /// `start`: the params object as JSON text ("{}" when absent).
  std::string params = "{}";
  /// `stop`, `input`, `subscribe`, `unsubscribe`: the task id.
  std::string task_id;
  /// `stop`: the reason (empty when absent).
  std::string reason;
  /// `input`: the request id.
  std::string request_id;
  /// `input`: the value as JSON text.
  std::string value;
  /// `call_tool`: the caller's call id.
  std::string call_id;
  /// `call_tool`: the tool name.
  std::string tool;
  /// `call_tool`: the args object as JSON text.
  std::string args = "{}";
  /// `subscribe`: replay events with seq greater than this.
  uint64_t after = 0;
  /// `start`, `subscribe`: `"coalesce": "progress"` was given (while behind,
  /// only the latest of each run of progress events is sent).
  bool coalesce = false;
  /// `list_tasks`: the most entries of one page.
  uint64_t limit = max_list_limit;
  /// `list_tasks`: where the page starts ("" for the newest task).
  std::string cursor;
  /// `list_tasks`: which tasks (`state`, `kind`, `since`, `until`).
  task_filter filter;
};

} // namespace switchboard::protocol
