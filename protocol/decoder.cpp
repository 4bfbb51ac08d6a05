#include "protocol/decoder.hpp"

#include <optional>
#include <utility>

#include "protocol/task_status.hpp"
#include "util/split.hpp"

namespace switchboard::protocol {

namespace {

using value = rapidjson::Value;

struct fields {
  const value& obj;
  std::string& id;

  decode_error fail(error_code code, std::string msg) const {
    return {code, std::move(msg), id};
  }

  // Returns the member or nullptr.
  const value* find(const char* key) const {
    auto i = obj.FindMember(key);
    return i != obj.MemberEnd() ? &i->value : nullptr;
  }

  std::optional<decode_error> required_string(const char* key,
                                              std::string& out) const {
    auto v = find(key);
    if (!v)
      return fail(error_code::bad_message,
                  std::string{"missing field '"} + key + "'");
    if (!v->IsString())
      return fail(error_code::bad_message,
                  std::string{"field '"} + key + "' must be a string");
    if (v->GetStringLength() == 0)
      return fail(error_code::bad_message,
                  std::string{"field '"} + key + "' must not be empty");
    if (v->GetStringLength() > max_name_bytes)
      return fail(error_code::bad_message,
                  std::string{"field '"} + key + "' is longer than " +
                      std::to_string(max_name_bytes) + " bytes");
    out.assign(v->GetString(), v->GetStringLength());
    return std::nullopt;
  }

  std::optional<decode_error> optional_string(const char* key,
                                              std::string& out) const {
    auto v = find(key);
    if (!v || v->IsNull())
      return std::nullopt;
    if (!v->IsString())
      return fail(error_code::bad_message,
                  std::string{"field '"} + key + "' must be a string");
    out.assign(v->GetString(), v->GetStringLength());
    return std::nullopt;
  }

  std::optional<decode_error> optional_object(const char* key, std::string& out,
                                              error_code code) const {
    auto v = find(key);
    if (!v)
      return std::nullopt;
    if (!v->IsObject())
      return fail(code, std::string{"field '"} + key + "' must be an object");
    out = to_json(*v);
    return std::nullopt;
  }
};

// `"coalesce": "progress"` (absent or null: every event).
std::optional<decode_error> coalesce_field(const fields& f, bool& out) {
  auto v = f.find("coalesce");
  if (!v || v->IsNull())
    return std::nullopt;
  if (!v->IsString() ||
      std::string_view{v->GetString(), v->GetStringLength()} !=
          coalesce_progress)
    return f.fail(error_code::bad_message,
                  "field 'coalesce' must be \"progress\" or absent");
  out = true;
  return std::nullopt;
}

// `list_tasks` filters: `state` (a state or a comma-separated list of
// them), `kind`, `since` and `until` (unix ms).
std::optional<decode_error> filter_fields(const fields& f, task_filter& out) {
  std::string states;
  if (auto err = f.optional_string("state", states))
    return err;
  for (auto& name : util::split_list(states)) {
    if (!task_status_from_string(name))
      return f.fail(error_code::bad_message,
                    "field 'state' must list states of running, "
                    "waiting_input, completed, failed, cancelled");
    out.states.push_back(name);
  }
  if (auto err = f.optional_string("kind", out.kind))
    return err;
  if (out.kind.size() > max_name_bytes)
    return f.fail(error_code::bad_message, "field 'kind' is longer than " +
                                               std::to_string(max_name_bytes) +
                                               " bytes");
  for (auto [key, slot] :
       {std::pair{"since", &out.since_ms}, std::pair{"until", &out.until_ms}}) {
    auto v = f.find(key);
    if (!v || v->IsNull())
      continue;
    if (!v->IsInt64() || v->GetInt64() < 0)
      return f.fail(error_code::bad_message,
                    std::string{"field '"} + key +
                        "' must be a time in unix milliseconds");
    *slot = v->GetInt64();
  }
  return std::nullopt;
}

} // namespace

std::variant<command, decode_error> decode(std::string_view text,
                                           const json_limits& limits) {
  rapidjson::Document doc;
  if (auto st = parse_json(text, doc, limits); st.code != error_code::none)
    return decode_error{st.code, std::move(st.message), {}};
  std::string id;
  if (!doc.IsObject())
    return decode_error{
        error_code::bad_message, "a message must be a JSON object", {}};
  if (auto i = doc.FindMember("id"); i != doc.MemberEnd()) {
    // Ids are echoed in replies; a number that does not survive the round
    // trip unchanged (a fraction, an exponent, beyond 2^53) is refused
    // rather than echoed altered.
    constexpr int64_t max_safe = (int64_t{1} << 53) - 1;
    auto safe = i->value.IsInt64() && i->value.GetInt64() <= max_safe &&
                i->value.GetInt64() >= -max_safe;
    if (!i->value.IsString() && !safe)
      return decode_error{error_code::bad_message,
                          "field 'id' must be a string or an integer between "
                          "-(2^53-1) and 2^53-1",
                          {}};
    id = to_json(i->value);
  }
  fields f{doc, id};
  auto t = f.find("type");
  if (!t)
    return f.fail(error_code::bad_message, "missing field 'type'");
  if (!t->IsString())
    return f.fail(error_code::bad_message, "field 'type' must be a string");
  std::string_view type_name{t->GetString(), t->GetStringLength()};
  auto type = command_type_from_string(type_name);
  if (!type)
    return f.fail(error_code::unknown_type,
                  "unknown message type '" + std::string{type_name} + "'");
  return decode_fields(*type, doc, std::move(id));
}

std::variant<command, decode_error>
decode_fields(command_type type, const rapidjson::Value& obj, std::string id) {
  fields f{obj, id};
  command cmd;
  cmd.type = type;
  cmd.id = id;
  std::optional<decode_error> err;
  switch (cmd.type) {
  case command_type::start:
    if (!(err = f.required_string("task", cmd.task)) &&
        !(err = f.optional_object("params", cmd.params,
                                  error_code::invalid_params)))
      err = coalesce_field(f, cmd.coalesce);
    break;
  case command_type::stop:
    if (!(err = f.required_string("task_id", cmd.task_id)))
      err = f.optional_string("reason", cmd.reason);
    break;
  case command_type::input:
    if (!(err = f.required_string("task_id", cmd.task_id)) &&
        !(err = f.required_string("request_id", cmd.request_id))) {
      if (auto v = f.find("value"))
        cmd.value = to_json(*v);
      else
        err = f.fail(error_code::bad_message, "missing field 'value'");
    }
    break;
  case command_type::call_tool:
    if (!(err = f.required_string("call_id", cmd.call_id)) &&
        !(err = f.required_string("tool", cmd.tool))) {
      auto v = f.find("args");
      if (!v)
        err = f.fail(error_code::invalid_args, "missing field 'args'");
      else
        err = f.optional_object("args", cmd.args, error_code::invalid_args);
    }
    break;
  case command_type::subscribe:
    if (!(err = f.required_string("task_id", cmd.task_id))) {
      if (auto v = f.find("after"); v && !v->IsNull()) {
        if (!v->IsUint64())
          err = f.fail(error_code::bad_message,
                       "field 'after' must be a non-negative integer");
        else
          cmd.after = v->GetUint64();
      }
      if (!err)
        err = coalesce_field(f, cmd.coalesce);
    }
    break;
  case command_type::unsubscribe:
    err = f.required_string("task_id", cmd.task_id);
    break;
  case command_type::list_tasks:
    if (auto v = f.find("limit"); v && !v->IsNull()) {
      if (!v->IsUint64() || v->GetUint64() == 0 ||
          v->GetUint64() > max_list_limit)
        err = f.fail(error_code::bad_message,
                     "field 'limit' must be an integer from 1 to " +
                         std::to_string(max_list_limit));
      else
        cmd.limit = v->GetUint64();
    }
    if (!err)
      err = f.optional_string("cursor", cmd.cursor);
    if (!err)
      err = filter_fields(f, cmd.filter);
    break;
  case command_type::list_tools:
  case command_type::list_kinds:
  case command_type::ping:
  case command_type::get_status: break;
  }
  if (err)
    return std::move(*err);
  return cmd;
}

} // namespace switchboard::protocol
