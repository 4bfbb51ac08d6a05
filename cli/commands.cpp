#include "cli/commands.hpp"

#include <cctype>
#include <cstdio>
#include <unistd.h>

#include "cli/answers.hpp"
#include "cli/connection.hpp"
#include "cli/follow.hpp"
#include "cli/http_exchange.hpp"
#include "cli/params.hpp"
#include "cli/render.hpp"
#include "protocol/json.hpp"

namespace switchboard::cli {

namespace {

bool is_terminal_event(const std::string& type) {
  return type == "result" || type == "error" || type == "stopped";
}

bool is_terminal_state(const std::string& state) {
  return state == "completed" || state == "failed" || state == "cancelled";
}

// k=v words are typed by the schema the server publishes, so the CLI
// never needs to know a kind or tool itself. An unknown name is refused
// locally with the code the server would use.
std::string schema_of(session& s, const char* request, const char* list,
                      const char* schema_field, const std::string& name,
                      const char* refusal, const char* what) {
  auto reply = s.request(request);
  s.expect_success(reply);
  auto& doc = reply.doc;
  if (doc.HasMember(list) && doc[list].IsArray())
    for (auto& item : doc[list].GetArray())
      if (item.IsObject() && item.HasMember("name") &&
          item["name"].IsString() && name == item["name"].GetString())
        return item.HasMember(schema_field)
                   ? protocol::to_json(item[schema_field])
                   : std::string{"{}"};
  throw failure(exit_code::refused, std::string{refusal} +
                                        ": the server has no " + what + " " +
                                        name + "; " + hint_for_error(refusal));
}

// `--params`/`--args` or `k=v` words, as one JSON object's text.
std::string object_from(session& s, const std::vector<std::string>& pairs,
                        const std::optional<std::string>& json,
                        const char* option, const char* request,
                        const char* list, const char* schema_field,
                        const std::string& name, const char* refusal,
                        const char* what) {
  if (json && !pairs.empty())
    throw failure(exit_code::usage, std::string{"give either key=value "
                                                "words or "} +
                                        option + ", not both");
  if (json) {
    auto c = object_from_json(*json, option);
    if (!c.ok)
      throw failure(exit_code::usage, c.error);
    return c.json;
  }
  if (pairs.empty())
    return "{}";
  auto schema = schema_of(s, request, list, schema_field, name, refusal, what);
  auto c = convert_params(schema, pairs, std::string{what} + " " + name);
  if (!c.ok)
    throw failure(exit_code::usage, c.error);
  return c.json;
}

// GET /api/tasks/ID as a parsed document; throws `failure` for errors.
rapidjson::Document snapshot(const session& s, const std::string& task_id) {
  auto res = http_get(s.url(), s.options().token,
                      "/api/tasks/" + path_segment(task_id));
  rapidjson::Document doc;
  protocol::parse_json(res.body, doc);
  if (res.status == 200 && doc.IsObject())
    return doc;
  std::string code = "internal";
  std::string text = "HTTP " + std::to_string(res.status);
  if (doc.IsObject() && doc.HasMember("code") && doc["code"].IsString()) {
    code = doc["code"].GetString();
    if (doc.HasMember("message") && doc["message"].IsString())
      text = doc["message"].GetString();
  }
  auto hint = hint_for_error(code);
  throw failure(exit_code_for_error(code),
                code + ": " + text + (hint.empty() ? "" : "; " + hint));
}

int64_t int_field(const rapidjson::Value& v, const char* name) {
  auto i = v.FindMember(name);
  return i != v.MemberEnd() && i->value.IsInt64() ? i->value.GetInt64() : 0;
}

// The --answers file, read once before anything starts (it may be a pipe
// such as <(echo ...)): a bad one is a usage error, not a surprise later.
std::optional<answer_book> load_answers(const watch_settings& settings) {
  if (settings.answers_file.empty())
    return std::nullopt;
  return answer_book::load(settings.answers_file);
}

exit_code follow_with(const global_options& options,
                      const watch_settings& settings,
                      const std::optional<answer_book>& answers,
                      std::unique_ptr<session> s, const std::string& task_id,
                      int64_t after) {
  follow_mode mode;
  mode.live = settings.live;
  mode.prompt = settings.prompt;
  mode.answers = answers ? &*answers : nullptr;
  return follow_task(options, mode, std::move(s), task_id, after);
}

} // namespace

std::string value_from_word(const std::string& text) {
  rapidjson::Document doc;
  if (protocol::parse_json(text, doc).code == protocol::error_code::none)
    return protocol::to_json(doc);
  return protocol::quote(text);
}

namespace {

// Asks one listing command and prints its reply, raw or as `text` renders
// it.
template<class Text>
exit_code print_listing(const global_options& options, std::string_view type,
                        Text text) {
  session s{options};
  auto reply = s.request(type);
  s.expect_success(reply);
  if (options.json)
    session::print_raw(reply);
  else
    print_out(text(reply.doc));
  return exit_code::ok;
}

} // namespace

exit_code run_kinds(const global_options& options) {
  return print_listing(options, "list_kinds",
                       [](const auto& doc) { return kinds_text(doc); });
}

exit_code run_tools(const global_options& options) {
  return print_listing(options, "list_tools",
                       [](const auto& doc) { return tools_text(doc); });
}

exit_code run_tasks(const global_options& options, const tasks_filter& filter) {
  session s{options};
  std::string fields;
  auto add = [&fields](const std::string& member) {
    fields += (fields.empty() ? "" : ",") + member;
  };
  if (!filter.state.empty())
    add("\"state\":" + protocol::quote(filter.state));
  if (!filter.kind.empty())
    add("\"kind\":" + protocol::quote(filter.kind));
  if (filter.limit > 0)
    add("\"limit\":" + std::to_string(filter.limit));
  auto reply = s.request("list_tasks", fields);
  s.expect_success(reply);
  if (options.json) {
    session::print_raw(reply);
  } else {
    auto text = tasks_text(reply.doc);
    if (!text.empty())
      print_out(text);
  }
  return exit_code::ok;
}

exit_code run_start(const global_options& options, const start_request& req,
                    const watch_settings& settings) {
  auto answers = load_answers(settings);
  auto owned = std::make_unique<session>(options);
  auto& s = *owned;
  auto params = object_from(s, req.pairs, req.params_json, "--params",
                            "list_kinds", "kinds", "params_schema", req.kind,
                            "unknown_task_kind", "kind");
  auto reply = s.request("start", "\"task\":" + protocol::quote(req.kind) +
                                      ",\"params\":" + params);
  s.expect_success(reply);
  auto task_id = reply.field("task_id");
  if (options.json)
    session::print_raw(reply);
  else if (req.detach)
    print_out(task_id);
  else
    print_out("task " + task_id);
  if (req.detach)
    return exit_code::ok;
  return follow_with(options, settings, answers, std::move(owned), task_id, 0);
}

exit_code run_watch(const global_options& options, const std::string& task_id,
                    int64_t after, const watch_settings& settings) {
  auto answers = load_answers(settings);
  auto owned = std::make_unique<session>(options);
  auto& s = *owned;
  auto reply =
      s.request("subscribe", "\"task_id\":" + protocol::quote(task_id) +
                                 ",\"after\":" + std::to_string(after));
  s.expect_success(reply);
  if (options.json)
    session::print_raw(reply);
  auto state = reply.field("state");
  // A subscription past a finished task's end sends nothing: the snapshot
  // says whether anything is left to wait for.
  if (is_terminal_state(state) &&
      int_field(snapshot(s, task_id), "last_seq") <= after)
    return exit_code_for_state(state);
  return follow_with(options, settings, answers, std::move(owned), task_id,
                     after);
}

exit_code run_stop(const global_options& options, const std::string& task_id,
                   const std::string& reason) {
  session s{options};
  std::string fields = "\"task_id\":" + protocol::quote(task_id);
  if (!reason.empty())
    fields += ",\"reason\":" + protocol::quote(reason);
  auto reply = s.request("stop", fields);
  s.expect_success(reply);
  if (options.json)
    session::print_raw(reply);
  else
    print_out(task_id + " " + reply.field("state"));
  return exit_code::ok;
}

exit_code run_answer(const global_options& options,
                     const std::vector<std::string>& words) {
  if (words.size() < 2 || words.size() > 3)
    throw failure(exit_code::usage,
                  "answer takes ID [REQUEST_ID] VALUE; see 'switchboard-cli "
                  "answer --help'");
  session s{options};
  const auto& task_id = words[0];
  std::string request_id;
  if (words.size() == 3) {
    request_id = words[1];
  } else {
    auto snap = snapshot(s, task_id);
    auto pending = snap.FindMember("pending_input");
    if (pending == snap.MemberEnd() || !pending->value.IsObject() ||
        !pending->value.HasMember("request_id") ||
        !pending->value["request_id"].IsString()) {
      std::string state = snap.HasMember("state") && snap["state"].IsString()
                              ? snap["state"].GetString()
                              : "unknown";
      throw failure(exit_code::refused,
                    "no_pending_input: task " + task_id +
                        " is not waiting for input (state " + state +
                        "); see 'switchboard-cli events " + task_id + "'");
    }
    request_id = pending->value["request_id"].GetString();
  }
  auto value = value_from_word(words.back());
  auto reply =
      s.request("input", "\"task_id\":" + protocol::quote(task_id) +
                             ",\"request_id\":" + protocol::quote(request_id) +
                             ",\"value\":" + value);
  s.expect_success(reply);
  if (options.json)
    session::print_raw(reply);
  else
    print_out("answered " + request_id + " of " + task_id + ": " + value);
  return exit_code::ok;
}

exit_code run_call(const global_options& options, const call_request& req) {
  session s{options};
  auto args = object_from(s, req.pairs, req.args_json, "--args", "list_tools",
                          "tools", "schema", req.tool, "unknown_tool", "tool");
  auto call_id = "cli-" + std::to_string(::getpid());
  auto reply =
      s.request("call_tool", "\"call_id\":" + protocol::quote(call_id) +
                                 ",\"tool\":" + protocol::quote(req.tool) +
                                 ",\"args\":" + args);
  s.expect_success(reply);
  if (options.json)
    session::print_raw(reply);
  else if (reply.doc.HasMember("result"))
    print_out(pretty_json(reply.doc["result"]));
  return exit_code::ok;
}

exit_code run_events(const global_options& options,
                     const std::string& task_id) {
  session s{options};
  auto last_seq = int_field(snapshot(s, task_id), "last_seq");
  auto reply = s.request(
      "subscribe", "\"task_id\":" + protocol::quote(task_id) + ",\"after\":0");
  s.expect_success(reply);
  for (int64_t seq = 0; seq < last_seq;) {
    auto m = s.next();
    if (m.field("task_id") != task_id || m.doc.HasMember("reply_to") ||
        !m.doc.HasMember("seq") || !m.doc["seq"].IsInt64())
      continue;
    if (m.doc["seq"].GetInt64() <= seq)
      continue;
    seq = m.doc["seq"].GetInt64();
    if (options.json)
      session::print_raw(m);
    else
      print_out(event_line(m.doc, options.color));
    if (is_terminal_event(m.type()))
      break;
  }
  return exit_code::ok;
}

} // namespace switchboard::cli
