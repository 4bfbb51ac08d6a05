#include "actors/system.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/interfaces.hpp"

namespace switchboard::actors {

void configure(caf::actor_system_config& cfg) {
  cfg.add_message_type<event_frame>("event_frame");
  cfg.add_message_type<subscription>("subscription");
  cfg.add_message_type<protocol::tool_info>("tool_info");
  cfg.add_message_type<protocol::task_info>("task_info");
  cfg.add_message_type<protocol::task_filter>("task_filter");
  cfg.add_message_type<std::vector<protocol::tool_info>>(
      "std::vector<tool_info>");
  cfg.add_message_type<std::vector<protocol::task_info>>(
      "std::vector<task_info>");
  cfg.add_message_type<std::vector<event_frame>>("std::vector<event_frame>");
  cfg.add_message_type<event_sink>("event_sink");
  cfg.add_message_type<task_actor>("task_actor");
  cfg.add_error_category(error_category, render_error);
}

} // namespace switchboard::actors
