#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/error_code.hpp"
#include "protocol/json.hpp"

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
};

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
};

/// Why a client message was refused, with the `id` to reply to if known.
struct decode_error {
  /// The protocol error code.
  error_code code;
  /// The reason for people.
  std::string message;
  /// The client's `id` as raw JSON, or empty.
  std::string id;
};

/// Parses and validates one client text message.
std::variant<command, decode_error> decode(std::string_view text,
                                           const json_limits& limits = {});

} // namespace switchboard::protocol
