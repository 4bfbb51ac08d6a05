#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace switchboard::protocol {

/// One value per server-to-client message type of the wire protocol that
/// is not a task event (PROTOCOL.md, "Server to client"), plus the HTTP
/// API's own bodies; the one home of their names.
enum class message_type : uint8_t {
  hello,
  heartbeat,
  pong,
  start_success,
  stop_success,
  input_success,
  subscribe_success,
  unsubscribe_success,
  tools,
  tool_result,
  tasks,
  kinds,
  /// Reply to `get_status`, and `GET /api/status`.
  status,
  shutdown,
  /// The cluster's tools changed (a node joined or left).
  tools_changed,
  error,
  /// `GET /api/tasks/ID`: a task's snapshot.
  task,
  /// SSE: the snapshot that precedes a replay after a gap.
  snapshot,
};

/// Every message type, in declaration order.
inline constexpr std::array<message_type, 18> all_message_types{
    message_type::hello,
    message_type::heartbeat,
    message_type::pong,
    message_type::start_success,
    message_type::stop_success,
    message_type::input_success,
    message_type::subscribe_success,
    message_type::unsubscribe_success,
    message_type::tools,
    message_type::tool_result,
    message_type::tasks,
    message_type::kinds,
    message_type::status,
    message_type::shutdown,
    message_type::tools_changed,
    message_type::error,
    message_type::task,
    message_type::snapshot,
};

/// Returns the wire name of `x`, e.g. "start_success".
std::string_view to_string(message_type x);

/// WebSocket close codes the server sends (PROTOCOL.md, "Close codes").
enum class close_code : uint16_t {
  /// Normal closure: do not reconnect.
  normal = 1000,
  /// The server shuts down: reconnect with backoff, resume by seq.
  going_away = 1001,
  /// Unauthorized, forbidden origin or another policy: do not reconnect.
  policy = 1008,
  /// A frame or message over the limit: do not resend it.
  too_large = 1009,
  /// Internal error or heartbeat lost: reconnect with backoff.
  internal = 1011,
  /// Slow consumer or overloaded: reconnect with backoff, resume by seq.
  try_again_later = 1013,
};

/// Every close code, in declaration order.
inline constexpr std::array<close_code, 6> all_close_codes{
    close_code::normal,    close_code::going_away, close_code::policy,
    close_code::too_large, close_code::internal,   close_code::try_again_later,
};

/// Returns the name of `x`, e.g. "try_again_later".
std::string_view to_string(close_code x);

/// Returns the numeric value of `x` as sent on the wire.
constexpr uint16_t to_uint(close_code x) {
  return static_cast<uint16_t>(x);
}

} // namespace switchboard::protocol
