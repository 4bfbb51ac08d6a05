#include "protocol/message_type.hpp"

namespace switchboard::protocol {

std::string_view to_string(message_type x) {
  switch (x) {
  case message_type::hello: return "hello";
  case message_type::heartbeat: return "heartbeat";
  case message_type::pong: return "pong";
  case message_type::start_success: return "start_success";
  case message_type::stop_success: return "stop_success";
  case message_type::input_success: return "input_success";
  case message_type::subscribe_success: return "subscribe_success";
  case message_type::unsubscribe_success: return "unsubscribe_success";
  case message_type::tools: return "tools";
  case message_type::tool_result: return "tool_result";
  case message_type::tasks: return "tasks";
  case message_type::kinds: return "kinds";
  case message_type::status: return "status";
  case message_type::shutdown: return "shutdown";
  case message_type::tools_changed: return "tools_changed";
  case message_type::error: return "error";
  case message_type::task: return "task";
  case message_type::snapshot: return "snapshot";
  }
  return "unknown";
}

std::string_view to_string(close_code x) {
  switch (x) {
  case close_code::normal: return "normal";
  case close_code::going_away: return "going_away";
  case close_code::policy: return "policy";
  case close_code::too_large: return "too_large";
  case close_code::internal: return "internal";
  case close_code::try_again_later: return "try_again_later";
  }
  return "unknown";
}

} // namespace switchboard::protocol
