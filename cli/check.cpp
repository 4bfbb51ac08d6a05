#include "cli/check.hpp"

#include <chrono>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <unistd.h>
#include <utility>
#include <vector>

#include "cli/connection.hpp"
#include "cli/http_exchange.hpp"
#include "protocol/json.hpp"

namespace switchboard::cli {

namespace {

namespace http = boost::beast::http;
using clock_type = std::chrono::steady_clock;

// A step that does not hold: what was expected, for the FAILED line.
struct step_failed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void expect(bool ok, const std::string& what) {
  if (!ok)
    throw step_failed(what);
}

bool is_terminal_event(const std::string& type) {
  return type == "result" || type == "error" || type == "stopped";
}

std::string text_field(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject())
    return {};
  auto i = v.FindMember(name);
  if (i == v.MemberEnd())
    return {};
  if (i->value.IsString())
    return i->value.GetString();
  return protocol::to_json(i->value);
}

// What a step reports: a detail for its ok line.
using step_fn = std::function<std::string()>;

// The checks share one WebSocket session: a deployment that takes a
// connection must serve it for a while, not only for one request.
class checker {
 public:
  explicit checker(const global_options& options)
      : options_(options), url_(parse_server_url(options.server)) {}

  exit_code run_all() {
    step("hello", [&] {
      session_ = std::make_unique<session>(options_);
      return std::string{"connected to " + url_.text + "/ws"};
    });
    step("ping", [&] {
      auto reply = ws().request("ping");
      ws().expect_success(reply);
      expect(reply.type() == "pong", "expected pong, got " + reply.raw);
      return std::string{"pong"};
    });
    step("list_tools", [&] {
      auto reply = ws().request("list_tools");
      ws().expect_success(reply);
      auto tools = reply.doc.FindMember("tools");
      expect(tools != reply.doc.MemberEnd() && tools->value.IsArray() &&
                 !tools->value.Empty(),
             "no tools listed");
      return std::to_string(tools->value.Size()) + " tools";
    });
    step("call_tool fs.list", [&] {
      auto reply = ws().request(
          "call_tool", "\"call_id\":\"check-" + std::to_string(::getpid()) +
                           "\",\"tool\":\"fs.list\",\"args\":{\"path\":\".\"}");
      ws().expect_success(reply);
      expect(reply.type() == "tool_result", "expected tool_result");
      return std::string{"ok"};
    });
    step("audit (WebSocket)", [&] { return audit_ws(); });
    step("triage (answered)", [&] { return triage(); });
    step("ticker stopped", [&] { return ticker_stopped(); });
    step("audit (SSE, resumed)", [&] { return audit_sse(); });
    step("GET /healthz", [&] { return get_ok("/healthz"); });
    step("GET /readyz", [&] { return get_ok("/readyz"); });
    step("GET /metrics", [&] { return get_ok("/metrics"); });
    session_.reset();
    if (failed_.empty()) {
      say("all " + std::to_string(steps_) + " steps passed");
      return exit_code::ok;
    }
    std::string names;
    for (auto& n : failed_)
      names += (names.empty() ? "" : ", ") + n;
    say(std::to_string(failed_.size()) + " of " + std::to_string(steps_) +
        " steps failed: " + names);
    return exit_code::failed;
  }

 private:
  // A step after a lost connection (or a failed hello) connects again.
  session& ws() {
    if (!session_)
      session_ = std::make_unique<session>(options_);
    return *session_;
  }

  void say(const std::string& text) {
    if (options_.json)
      std::fprintf(stderr, "switchboard-cli: check: %s\n", text.c_str());
    else
      print_out(text);
  }

  void step(const std::string& name, const step_fn& fn) {
    ++steps_;
    auto start = clock_type::now();
    bool ok = false;
    std::string detail;
    try {
      detail = fn();
      ok = true;
    } catch (const std::exception& e) {
      detail = e.what();
      // A lost connection fails this step; the next ones reconnect.
      if (auto* f = dynamic_cast<const failure*>(&e);
          f != nullptr && f->code() == exit_code::unreachable)
        session_.reset();
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  clock_type::now() - start)
                  .count();
    if (!ok)
      failed_.push_back(name);
    if (options_.json) {
      print_out("{\"type\":\"check\",\"step\":" + protocol::quote(name) +
                ",\"ok\":" + (ok ? "true" : "false") +
                ",\"ms\":" + std::to_string(ms) +
                ",\"detail\":" + protocol::quote(detail) + "}");
      return;
    }
    char head[96];
    std::snprintf(head, sizeof head, "%-6s  %-21s %6lld ms  ",
                  ok ? "ok" : "FAILED", name.c_str(),
                  static_cast<long long>(ms));
    std::string line = head + detail;
    if (options_.color)
      line = std::string{ok ? "\x1b[32m" : "\x1b[31m"} + line + "\x1b[0m";
    print_out(line);
  }

  std::string start_task(const std::string& kind, const std::string& params) {
    auto reply = ws().request("start", "\"task\":" + protocol::quote(kind) +
                                           ",\"params\":" + params);
    ws().expect_success(reply);
    return reply.field("task_id");
  }

  // Reads the task's events to its terminal event; `on_event` sees each.
  rapidjson::Document
  to_end(const std::string& task_id,
         const std::function<void(const message&)>& on_event = {}) {
    int64_t last = 0;
    for (;;) {
      auto m = ws().next();
      if (m.field("task_id") != task_id || m.doc.HasMember("reply_to") ||
          !m.doc.HasMember("seq") || !m.doc["seq"].IsInt64())
        continue;
      auto seq = m.doc["seq"].GetInt64();
      expect(seq == last + 1, "event #" + std::to_string(seq) + " after #" +
                                  std::to_string(last));
      last = seq;
      if (on_event)
        on_event(m);
      if (is_terminal_event(m.type())) {
        rapidjson::Document end;
        end.CopyFrom(m.doc, end.GetAllocator());
        return end;
      }
    }
  }

  static std::string describe_end(const rapidjson::Document& end) {
    std::string type = text_field(end, "type");
    if (type == "error")
      return "failed: " + text_field(end, "code") + ": " +
             text_field(end, "message");
    if (type == "stopped")
      return "stopped: " + text_field(end, "reason");
    return type;
  }

  std::string audit_ws() {
    auto id = start_task("audit", "{}");
    auto end = to_end(id);
    expect(text_field(end, "type") == "result", describe_end(end));
    return id + ": " + std::to_string(end["seq"].GetInt64()) + " events";
  }

  std::string triage() {
    auto id = start_task("triage", "{}");
    int answered = 0;
    auto end = to_end(id, [&](const message& m) {
      if (m.type() != "input_request")
        return;
      auto found = m.doc.FindMember("schema");
      expect(found != m.doc.MemberEnd(), "request without a schema");
      auto& schema = found->value;
      expect(schema.IsObject() && schema.HasMember("enum") &&
                 schema["enum"].IsArray() && !schema["enum"].Empty(),
             "request " + m.field("request_id") +
                 " has no enum to choose from");
      auto value = protocol::to_json(schema["enum"][0u]);
      auto reply = ws().request(
          "input", "\"task_id\":" + protocol::quote(id) + ",\"request_id\":" +
                       protocol::quote(m.field("request_id")) +
                       ",\"value\":" + value);
      ws().expect_success(reply);
      ++answered;
    });
    expect(text_field(end, "type") == "result", describe_end(end));
    return id + ": " + std::to_string(answered) + " questions answered";
  }

  std::string ticker_stopped() {
    auto id = start_task("ticker", R"({"steps":100000,"interval_ms":10})");
    int64_t steps = 0;
    bool stop_sent = false;
    auto end = to_end(id, [&](const message& m) {
      if (m.type() != "progress" || stop_sent || ++steps < 2)
        return;
      stop_sent = true;
      auto reply = ws().request("stop", "\"task_id\":" + protocol::quote(id) +
                                            ",\"reason\":\"check\"");
      ws().expect_success(reply);
      expect(reply.field("state") == "cancelled",
             "stop answered state " + reply.field("state"));
    });
    expect(text_field(end, "type") == "stopped", describe_end(end));
    return id + ": stopped after " + std::to_string(steps) + " steps";
  }

  // Reads events from `ex` after `last` until the result (setting
  // `ended`), `limit` of them, or the end of the stream; returns the last
  // seq.
  static int64_t read_sse(http_exchange& ex, int64_t last, int limit,
                          bool& ended) {
    for (int n = 0; n < limit; ++n) {
      auto ev = ex.next_event();
      if (!ev)
        return last;
      if (ev->event == "snapshot")
        continue;
      rapidjson::Document d;
      protocol::parse_json(ev->data, d);
      expect(d.IsObject() && d.HasMember("seq") && d["seq"].IsInt64(),
             "an SSE event without seq: " + ev->data.substr(0, 200));
      auto seq = d["seq"].GetInt64();
      expect(seq == last + 1, "SSE event #" + std::to_string(seq) + " after #" +
                                  std::to_string(last));
      expect(ev->id == std::to_string(seq),
             "SSE id " + ev->id + " for seq " + std::to_string(seq));
      last = seq;
      if (is_terminal_event(text_field(d, "type"))) {
        expect(text_field(d, "type") == "result",
               "the audit ended with " + ev->data.substr(0, 200));
        ended = true;
        return last;
      }
    }
    return last;
  }

  std::string audit_sse() {
    http_exchange post{url_, options_.token, http::verb::post, "/api/tasks",
                       R"({"task":"audit","params":{}})"};
    auto body = post.body();
    expect(post.status() == 201, "POST /api/tasks answered HTTP " +
                                     std::to_string(post.status()) + " " +
                                     body.substr(0, 200));
    rapidjson::Document reply;
    protocol::parse_json(body, reply);
    auto id = text_field(reply, "task_id");
    expect(!id.empty(), "POST /api/tasks gave no task_id");
    auto target = "/api/tasks/" + id + "/events";
    header_list accept{{"Accept", "text/event-stream"}};
    bool ended = false;
    int64_t first_part = 0;
    {
      http_exchange first{url_, options_.token, http::verb::get, target,
                          "",   accept};
      expect(first.status() == 200, "GET " + target + " answered HTTP " +
                                        std::to_string(first.status()));
      expect(first.header(http::field::content_type)
                     .rfind("text/event-stream", 0) == 0,
             "GET " + target + " is not text/event-stream");
      first_part = read_sse(first, 0, 3, ended);
    }
    auto last = first_part;
    if (!ended) {
      accept.emplace_back("Last-Event-ID", std::to_string(first_part));
      http_exchange resumed{url_, options_.token, http::verb::get, target,
                            "",   accept};
      expect(resumed.status() == 200,
             "the resume answered HTTP " + std::to_string(resumed.status()));
      last =
          read_sse(resumed, first_part, std::numeric_limits<int>::max(), ended);
    }
    expect(ended, "the event stream ended before the audit's result");
    return id + ": " + std::to_string(last) + " events, resumed after #" +
           std::to_string(first_part);
  }

  std::string get_ok(const std::string& target) {
    auto res = http_get(url_, options_.token, target);
    expect(res.status == 200, "HTTP " + std::to_string(res.status) + " " +
                                  res.body.substr(0, 200));
    return "HTTP 200";
  }

  global_options options_;
  server_url url_;
  std::unique_ptr<session> session_;
  int steps_ = 0;
  std::vector<std::string> failed_;
};

} // namespace

exit_code run_check(const global_options& options) {
  checker c{options};
  return c.run_all();
}

} // namespace switchboard::cli
