#include "api/commands.hpp"

namespace switchboard::api {

reply start_success(std::string_view reply_to, const std::string& task_id,
                    std::string_view kind) {
  auto path = "/api/tasks/" + task_id;
  auto r = success(
      protocol::message_type::start_success,
      protocol::message_writer{protocol::message_type::start_success, reply_to}
          .str("task_id", task_id)
          .str("task", kind)
          .str("events", path + "/events")
          .finish());
  r.created = std::move(path);
  return r;
}

} // namespace switchboard::api
