#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace switchboard::protocol {

/// One value per task event type of the wire protocol (PROTOCOL.md, "Task
/// events"); the one home of their names.
enum class event_type : uint8_t {
  started,
  progress,
  log,
  tool_call,
  tool_result,
  input_request,
  input_received,
  result,
  error,
  stopped,
};

/// Every event type, in declaration order.
inline constexpr std::array<event_type, 10> all_event_types{
    event_type::started,
    event_type::progress,
    event_type::log,
    event_type::tool_call,
    event_type::tool_result,
    event_type::input_request,
    event_type::input_received,
    event_type::result,
    event_type::error,
    event_type::stopped,
};

/// Returns the wire name of `x`, e.g. "tool_call".
std::string_view to_string(event_type x);

/// Parses a wire name.
std::optional<event_type> event_type_from_string(std::string_view name);

/// True for the events that end a task: `result`, `error`, `stopped`.
constexpr bool is_terminal(event_type x) {
  return x == event_type::result || x == event_type::error ||
         x == event_type::stopped;
}

} // namespace switchboard::protocol
