#include "protocol/event_type.hpp"

namespace switchboard::protocol {

std::string_view to_string(event_type x) {
  switch (x) {
  case event_type::started: return "started";
  case event_type::progress: return "progress";
  case event_type::log: return "log";
  case event_type::tool_call: return "tool_call";
  case event_type::tool_result: return "tool_result";
  case event_type::input_request: return "input_request";
  case event_type::input_received: return "input_received";
  case event_type::result: return "result";
  case event_type::error: return "error";
  case event_type::stopped: return "stopped";
  }
  return "unknown";
}

std::optional<event_type> event_type_from_string(std::string_view name) {
  for (auto x : all_event_types)
    if (to_string(x) == name)
      return x;
  return std::nullopt;
}

} // namespace switchboard::protocol
