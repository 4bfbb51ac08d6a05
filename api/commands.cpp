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

reply status_reply(std::string_view reply_to, const scope& sc) {
  using protocol::message_type;
  auto now = protocol::now_ms();
  metrics::totals t;
  if (sc.metrics)
    t = sc.metrics->read_totals(now);
  actors::server_status none;
  auto& st = sc.status ? *sc.status : none;
  protocol::message_writer w{message_type::status, reply_to};
  w.str("node", st.node)
      .str("server", st.server)
      .str("history", st.history)
      .num("retention_ms", st.retention_ms);
  if (st.max_tasks_kept)
    w.unum("max_tasks_kept", *st.max_tasks_kept);
  else
    w.null("max_tasks_kept");
  w.raw("tasks", protocol::object_writer{}
                     .num("running", t.running)
                     .num("waiting_input", t.waiting_input)
                     .unum("failed_last_hour", t.failed_last_hour)
                     .finish())
      .unum("events_total", t.events)
      .num("ts", now)
      .boolean("draining", st.draining);
  if (auto nodes = st.nodes(); !nodes.empty())
    w.raw("nodes", nodes);
  return success(message_type::status, w.finish());
}

} // namespace switchboard::api
