#include "cli/render.hpp"

#include <ctime>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "protocol/json.hpp"

namespace switchboard::cli {

namespace {

using rapidjson::Value;

std::string field(const Value& v, const char* name) {
  if (!v.IsObject())
    return {};
  auto i = v.FindMember(name);
  if (i == v.MemberEnd() || i->value.IsNull())
    return {};
  if (i->value.IsString())
    return {i->value.GetString(), i->value.GetStringLength()};
  return protocol::to_json(i->value);
}

std::string paint(const std::string& text, const char* code, bool color) {
  if (!color)
    return text;
  return std::string{"\x1b["} + code + "m" + text + "\x1b[0m";
}

// The properties of a JSON Schema, one indented line each.
std::string properties_text(const Value& schema) {
  std::string out;
  if (!schema.IsObject() || !schema.HasMember("properties") ||
      !schema["properties"].IsObject())
    return out;
  for (auto& p : schema["properties"].GetObject()) {
    auto& prop = p.value;
    out += "    ";
    out += p.name.GetString();
    std::string type = field(prop, "type");
    if (prop.IsObject() && prop.HasMember("enum") && prop["enum"].IsArray()) {
      type.clear();
      for (auto& e : prop["enum"].GetArray())
        type +=
            (type.empty() ? "" : "|") +
            (e.IsString() ? std::string{e.GetString()} : protocol::to_json(e));
    }
    if (!type.empty())
      out += " (" + type + ")";
    if (prop.IsObject() && prop.HasMember("default"))
      out += " default " + field(prop, "default");
    auto description = field(prop, "description");
    if (!description.empty())
      out += ": " + description;
    out += "\n";
  }
  return out;
}

std::string time_text(const Value& task) {
  if (!task.HasMember("created_ms") || !task["created_ms"].IsInt64())
    return "-";
  auto secs = static_cast<std::time_t>(task["created_ms"].GetInt64() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace

std::string event_line(const Value& ev, bool color) {
  auto type = field(ev, "type");
  std::string out = "#" + field(ev, "seq") + " " + type;
  if (type == "started") {
    out += " " + field(ev, "task") + " " + field(ev, "params");
  } else if (type == "progress") {
    auto total = field(ev, "total");
    out += " " + field(ev, "step") + (total.empty() ? "" : "/" + total);
    auto message = field(ev, "message");
    if (!message.empty())
      out += " " + message;
  } else if (type == "log") {
    out += " " + field(ev, "level") + ": " + field(ev, "message");
  } else if (type == "tool_call") {
    out += " " + field(ev, "call_id") + " " + field(ev, "tool") + " " +
           field(ev, "args");
  } else if (type == "tool_result") {
    out += " " + field(ev, "call_id") + " " +
           (field(ev, "ok") == "true" ? "ok" : "failed " + field(ev, "error"));
  } else if (type == "input_request") {
    out += " " + field(ev, "request_id") + ": " + field(ev, "prompt");
    auto schema = field(ev, "schema");
    if (!schema.empty())
      out += " " + schema;
    out += " (answer with: switchboard-cli answer " + field(ev, "task_id") +
           " " + field(ev, "request_id") + " VALUE)";
    out = paint(out, "1;36", color);
  } else if (type == "input_received") {
    out += " " + field(ev, "request_id") + " " + field(ev, "value");
  } else if (type == "result") {
    out = paint("#" + field(ev, "seq") + " completed " + field(ev, "data"),
                "32", color);
  } else if (type == "error") {
    out = paint("#" + field(ev, "seq") + " failed " + field(ev, "code") + ": " +
                    field(ev, "message"),
                "31", color);
  } else if (type == "stopped") {
    out = paint(out + ": " + field(ev, "reason"), "33", color);
  }
  return out;
}

std::string kinds_text(const Value& reply) {
  std::string out;
  if (!reply.HasMember("kinds") || !reply["kinds"].IsArray())
    return out;
  for (auto& k : reply["kinds"].GetArray()) {
    out += field(k, "name") + ": " + field(k, "description") + "\n";
    if (k.HasMember("params_schema"))
      out += properties_text(k["params_schema"]);
  }
  return out;
}

std::string tools_text(const Value& reply) {
  std::string out;
  if (!reply.HasMember("tools") || !reply["tools"].IsArray())
    return out;
  for (auto& t : reply["tools"].GetArray()) {
    out += field(t, "name") + ": " + field(t, "description") + "\n";
    if (t.HasMember("schema"))
      out += properties_text(t["schema"]);
  }
  return out;
}

std::string tasks_text(const Value& reply) {
  std::string out;
  if (!reply.HasMember("tasks") || !reply["tasks"].IsArray())
    return out;
  for (auto& t : reply["tasks"].GetArray()) {
    auto duration = field(t, "duration_ms");
    out += field(t, "task_id") + "  " + field(t, "task") + "  " +
           field(t, "state") + "  " + time_text(t) + "  " +
           (duration.empty() ? "-" : duration + " ms") + "  #" +
           field(t, "last_seq") + "\n";
  }
  return out;
}

std::string pretty_json(const Value& value) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer{buf};
  writer.SetIndent(' ', 2);
  value.Accept(writer);
  return {buf.GetString(), buf.GetSize()};
}

} // namespace switchboard::cli
