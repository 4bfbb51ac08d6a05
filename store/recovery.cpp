#include "store/recovery.hpp"

#include "protocol/encoder.hpp"
#include "protocol/error_code.hpp"
#include "protocol/event_type.hpp"
#include "protocol/task_status.hpp"

namespace switchboard::store {

std::variant<size_t, std::string> recover(database& db, int64_t now_ms) {
  auto left = db.unfinished();
  if (!left)
    return "cannot read the unfinished tasks: " + db.last_error();
  if (left->empty())
    return size_t{0};
  auto code = protocol::to_string(protocol::error_code::interrupted);
  batch b;
  for (auto& t : *left) {
    auto message = "the server stopped while the task was " + t.state;
    auto seq = t.last_seq + 1;
    // The same event a task writes when it fails (see actors/task.cpp).
    b.add(t.id, seq, protocol::to_string(protocol::event_type::error),
          protocol::message_writer{
              protocol::to_string(protocol::event_type::error)}
              .str("task_id", t.id)
              .unum("seq", seq)
              .num("ts", now_ms)
              .str("code", code)
              .str("message", message)
              .finish());
    t.state = std::string{protocol::to_string(protocol::task_status::failed)};
    t.ended_ms = now_ms;
    t.last_seq = seq;
    t.outcome = protocol::object_writer{}
                    .str("code", code)
                    .str("message", message)
                    .finish();
    b.tasks.push_back(std::move(t));
  }
  if (auto err = db.write(b); !err.empty())
    return "cannot end the unfinished tasks: " + err;
  return left->size();
}

} // namespace switchboard::store
