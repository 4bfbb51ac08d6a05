#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::protocol {

/// One value per error code of the wire protocol (PROTOCOL.md, "Errors").
enum class error_code : uint8_t {
  none = 0,
  bad_json,
  bad_message,
  unknown_type,
  too_large,
  unauthorized,
  forbidden,
  rate_limited,
  overloaded,
  shutting_down,
  unknown_task_kind,
  invalid_params,
  unknown_task,
  no_pending_input,
  invalid_input,
  unknown_tool,
  invalid_args,
  duplicate_call_id,
  tool_failed,
  timeout,
  node_lost,
  events_expired,
  internal,
  /// A tool call stopped at its deadline (PROTOCOL.md, additions).
  tool_timeout,
  /// Terminal: the process that ran the task died (seen after a restart).
  interrupted,
  /// The task history cannot be written (for example a full disk).
  storage_unavailable,
};

/// Number of error codes, `none` included.
inline constexpr size_t error_code_count =
    static_cast<size_t>(error_code::storage_unavailable) + 1;

/// Returns the wire name of `x`, e.g. "bad_json".
std::string_view to_string(error_code x);

/// Parses a wire name; returns `error_code::none` for unknown names.
error_code error_code_from_string(std::string_view name);

/// Returns the HTTP status that PROTOCOL.md assigns to `x`.
int http_status(error_code x);

} // namespace switchboard::protocol
