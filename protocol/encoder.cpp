#include "protocol/encoder.hpp"

#include <algorithm>
#include <chrono>

namespace switchboard::protocol {

namespace {

rapidjson::SizeType len(std::string_view s) {
  return static_cast<rapidjson::SizeType>(s.size());
}

} // namespace

object_writer::object_writer() : writer_(buf_) {
  writer_.StartObject();
}

message_writer::message_writer(std::string_view type,
                               std::string_view reply_to) {
  str("type", type);
  if (!reply_to.empty())
    raw("reply_to", reply_to);
}

object_writer& object_writer::str(std::string_view key,
                                  std::string_view value) {
  writer_.Key(key.data(), len(key));
  writer_.String(value.data(), len(value));
  return *this;
}

object_writer& object_writer::num(std::string_view key, int64_t value) {
  writer_.Key(key.data(), len(key));
  writer_.Int64(value);
  return *this;
}

object_writer& object_writer::unum(std::string_view key, uint64_t value) {
  writer_.Key(key.data(), len(key));
  writer_.Uint64(value);
  return *this;
}

object_writer& object_writer::boolean(std::string_view key, bool value) {
  writer_.Key(key.data(), len(key));
  writer_.Bool(value);
  return *this;
}

object_writer& object_writer::null(std::string_view key) {
  writer_.Key(key.data(), len(key));
  writer_.Null();
  return *this;
}

object_writer& object_writer::raw(std::string_view key, std::string_view json) {
  writer_.Key(key.data(), len(key));
  writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  return *this;
}

object_writer& object_writer::key(std::string_view key) {
  writer_.Key(key.data(), len(key));
  return *this;
}

std::string object_writer::finish() {
  writer_.EndObject();
  return {buf_.GetString(), buf_.GetSize()};
}

std::string encode_hello(std::string_view session_id, int64_t heartbeat_ms,
                         std::string_view server) {
  return message_writer{"hello"}
      .num("protocol", 1)
      .str("session_id", session_id)
      .num("heartbeat_ms", heartbeat_ms)
      .str("server", server)
      .finish();
}

std::string encode_heartbeat(int64_t ts) {
  return message_writer{"heartbeat"}.num("ts", ts).finish();
}

std::string encode_error(std::string_view reply_to, error_code code,
                         std::string_view message) {
  return message_writer{"error", reply_to}
      .str("code", to_string(code))
      .str("message", message)
      .finish();
}

void write_tools(rapidjson::Writer<rapidjson::StringBuffer>& w,
                 const std::vector<tool_info>& tools) {
  w.StartArray();
  for (auto& t : tools) {
    w.StartObject();
    w.Key("name");
    w.String(t.name.data(), len(t.name));
    w.Key("description");
    w.String(t.description.data(), len(t.description));
    w.Key("schema");
    w.RawValue(t.schema.data(), t.schema.size(), rapidjson::kObjectType);
    w.Key("node");
    w.String(t.node.data(), len(t.node));
    w.EndObject();
  }
  w.EndArray();
}

std::string encode_tools(std::string_view reply_to,
                         const std::vector<tool_info>& tools,
                         message_type type) {
  message_writer m{type, reply_to};
  m.key("tools");
  write_tools(m.writer(), tools);
  return m.finish();
}

void write_tasks(rapidjson::Writer<rapidjson::StringBuffer>& w,
                 const std::vector<task_info>& tasks) {
  w.StartArray();
  for (auto& t : tasks) {
    w.StartObject();
    w.Key("task_id");
    w.String(t.task_id.data(), len(t.task_id));
    w.Key("task");
    w.String(t.task.data(), len(t.task));
    w.Key("state");
    w.String(t.state.data(), len(t.state));
    w.Key("created_ms");
    w.Int64(t.created_ms);
    w.Key("last_seq");
    w.Uint64(t.last_seq);
    w.Key("ended_ms");
    if (t.ended_ms > 0)
      w.Int64(t.ended_ms);
    else
      w.Null();
    w.Key("duration_ms");
    if (t.ended_ms > 0)
      w.Int64(std::max<int64_t>(0, t.ended_ms - t.created_ms));
    else
      w.Null();
    w.Key("node");
    w.String(t.node.data(), len(t.node));
    w.EndObject();
  }
  w.EndArray();
}

std::string encode_tasks(std::string_view reply_to,
                         const std::vector<task_info>& tasks,
                         std::string_view next_cursor) {
  message_writer m{"tasks", reply_to};
  m.key("tasks");
  write_tasks(m.writer(), tasks);
  if (!next_cursor.empty())
    m.str("next_cursor", next_cursor);
  return m.finish();
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

} // namespace switchboard::protocol
