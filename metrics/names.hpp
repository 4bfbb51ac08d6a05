#pragma once

#include <string_view>

#include "protocol/decoder.hpp"

namespace switchboard::metrics {

/// Returns the wire name of a client message type, e.g. "call_tool".
inline std::string_view command_name(protocol::command_type t) {
  using protocol::command_type;
  switch (t) {
  case command_type::start:
    return "start";
  case command_type::stop:
    return "stop";
  case command_type::input:
    return "input";
  case command_type::list_tools:
    return "list_tools";
  case command_type::call_tool:
    return "call_tool";
  case command_type::subscribe:
    return "subscribe";
  case command_type::unsubscribe:
    return "unsubscribe";
  case command_type::list_tasks:
    return "list_tasks";
  case command_type::list_kinds:
    return "list_kinds";
  case command_type::ping:
    return "ping";
  }
  return "other";
}

} // namespace switchboard::metrics
