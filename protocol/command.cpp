#include "protocol/command.hpp"

namespace switchboard::protocol {

std::string_view to_string(command_type x) {
  switch (x) {
  case command_type::start: return "start";
  case command_type::stop: return "stop";
  case command_type::input: return "input";
  case command_type::list_tools: return "list_tools";
  case command_type::call_tool: return "call_tool";
  case command_type::subscribe: return "subscribe";
  case command_type::unsubscribe: return "unsubscribe";
  case command_type::list_tasks: return "list_tasks";
  case command_type::list_kinds: return "list_kinds";
  case command_type::ping: return "ping";
  case command_type::get_status: return "get_status";
  }
  return "unknown";
}

std::optional<command_type> command_type_from_string(std::string_view name) {
  for (auto x : all_command_types)
    if (to_string(x) == name)
      return x;
  return std::nullopt;
}

} // namespace switchboard::protocol
