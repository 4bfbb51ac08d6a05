// /metrics against the real server binary: after a scripted mix of tasks,
// tool calls, errors, resumes and disconnects, every scraped value matches
// what the test saw happen, and the exposition passes `promtool check
// metrics`.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "protocol/json.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/ws_client.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

using labels = std::map<std::string, std::string>;

// Builds the series key as the exposition prints it: labels sorted by name.
std::string key(const std::string& name, const labels& ls = {}) {
  if (ls.empty())
    return name;
  std::string out = name + "{";
  bool first = true;
  for (auto& [k, v] : ls) {
    if (!first)
      out += ",";
    first = false;
    out += k + "=\"" + v + "\"";
  }
  return out + "}";
}

// One scrape: series key -> value, and the raw text.
struct exposition {
  std::string text;
  std::map<std::string, double> values;

  // Returns the value of a series; fails the test when it is missing.
  double at(const std::string& name, const labels& ls = {}) const {
    auto k = key(name, ls);
    auto i = values.find(k);
    INFO("series " << k);
    REQUIRE(i != values.end());
    return i->second;
  }

  // Returns every series of family `name` (exact name, any labels).
  std::map<std::string, double> family(const std::string& name) const {
    std::map<std::string, double> out;
    for (auto& [k, v] : values)
      if (k == name || k.rfind(name + "{", 0) == 0)
        out.emplace(k, v);
    return out;
  }
};

exposition parse_exposition(std::string text) {
  exposition e;
  e.text = std::move(text);
  std::istringstream in{e.text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    auto sp = line.rfind(' ');
    REQUIRE(sp != std::string::npos);
    e.values[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return e;
}

// Runs `promtool check metrics` on the text; fails when promtool is missing.
void promtool_check(const std::string& text) {
  REQUIRE(std::system("command -v promtool >/dev/null 2>&1") == 0);
  auto path = std::filesystem::temp_directory_path() /
              ("switchboard-metrics-" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream out{path};
    out << text;
  }
  auto cmd = "promtool check metrics < " + path.string() + " 2>&1";
  std::string output;
  auto* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[512];
  while (auto n = std::fread(buf, 1, sizeof(buf), pipe))
    output.append(buf, n);
  auto status = ::pclose(pipe);
  std::filesystem::remove(path);
  INFO("promtool said: " << output);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

// Checks that every metric the Grafana dashboard queries is exported, and
// that every label it groups by appears on that metric's series (checked
// where the scrape has series of it; `le`, `job` and `instance` come from
// Prometheus).
void check_dashboard(const exposition& e) {
  std::ifstream in{std::string{SWITCHBOARD_SOURCE_DIR} +
                   "/config/grafana-dashboard.json"};
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  rapidjson::Document doc;
  REQUIRE(protocol::parse_json(ss.str(), doc).code ==
          protocol::error_code::none);
  std::vector<std::string> exprs;
  std::function<void(const rapidjson::Value&)> walk =
      [&](const rapidjson::Value& v) {
        if (v.IsObject()) {
          for (auto& m : v.GetObject()) {
            if (std::string{m.name.GetString()} == "expr" && m.value.IsString())
              exprs.emplace_back(m.value.GetString());
            walk(m.value);
          }
        } else if (v.IsArray()) {
          for (auto& x : v.GetArray())
            walk(x);
        }
      };
  walk(doc);
  REQUIRE(exprs.size() > 10);
  std::regex metric_re{"switchboard_[a-z_]+"};
  std::regex by_re{"by \\(([^)]*)\\)"};
  for (auto& expr : exprs) {
    INFO("dashboard query: " << expr);
    std::set<std::string> by;
    for (std::sregex_iterator i{expr.begin(), expr.end(), by_re}, end; i != end;
         ++i) {
      std::istringstream list{(*i)[1].str()};
      std::string label;
      while (std::getline(list, label, ',')) {
        label.erase(0, label.find_first_not_of(' '));
        label.erase(label.find_last_not_of(' ') + 1);
        if (label != "le" && label != "job" && label != "instance")
          by.insert(label);
      }
    }
    for (std::sregex_iterator i{expr.begin(), expr.end(), metric_re}, end;
         i != end; ++i) {
      auto name = (*i)[0].str();
      auto family_name = name;
      for (auto suffix : {"_bucket", "_count", "_sum"})
        if (e.text.find("# TYPE " + name + " ") == std::string::npos &&
            name.size() > std::strlen(suffix) &&
            name.compare(name.size() - std::strlen(suffix), std::string::npos,
                         suffix) == 0)
          family_name = name.substr(0, name.size() - std::strlen(suffix));
      INFO("metric " << name);
      CHECK(e.text.find("# TYPE " + family_name + " ") != std::string::npos);
      auto series = e.family(name);
      if (series.empty())
        continue;
      for (auto& label : by) {
        INFO("label " << label);
        CHECK(std::any_of(series.begin(), series.end(), [&](auto& kv) {
          return kv.first.find(label + "=\"") != std::string::npos;
        }));
      }
    }
  }
}

struct metrics_server {
  test::fixture_tree tree;
  test::server_process server;
  int scrapes = 0;

  explicit metrics_server(std::vector<std::string> extra)
      : server(with_workspace(tree, std::move(extra))) {}

  static std::vector<std::string>
  with_workspace(const test::fixture_tree& tree,
                 std::vector<std::string> extra) {
    extra.push_back("--workspace=" + tree.root().string());
    return extra;
  }

  exposition scrape() {
    auto r = test::request(server.port(), "GET", "/metrics");
    ++scrapes;
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type").rfind("text/plain; version=0.0.4", 0) == 0);
    return parse_exposition(r.body);
  }

  // Scrapes until `pred` holds (at most `timeout`); returns the last scrape.
  exposition scrape_until(const std::function<bool(const exposition&)>& pred,
                          std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto e = scrape();
      if (pred(e) || std::chrono::steady_clock::now() > deadline)
        return e;
      std::this_thread::sleep_for(50ms);
    }
  }
};

// Lenient: the predicates below read every message, whatever its type.
const auto str = &test::text_of;

// A WebSocket client that tallies every message it reads.
struct tallying_client {
  test::ws_client ws;
  std::map<std::string, double> types;             // every message, by type
  std::set<std::pair<std::string, uint64_t>> seen; // unique task events
  std::map<std::string, double> progress;          // kind -> steps
  std::map<std::string, std::string> kind_of;      // task id -> kind
  // (task id, call id) -> tool, from tool_call events
  std::map<std::pair<std::string, std::string>, std::string> tool_of;
  // (tool, outcome) -> calls, from tool_result events
  std::map<std::pair<std::string, std::string>, double> tool_calls;

  void connect(uint16_t port) {
    REQUIRE(ws.connect(port));
    REQUIRE(test::type_of(next()) == "hello");
  }

  rapidjson::Document next() {
    auto doc = ws.read_json(10s);
    auto type = test::type_of(doc);
    types[type] += 1;
    auto task = str(doc, "task_id");
    if (!task.empty() && doc.HasMember("seq") &&
        seen.emplace(task, doc["seq"].GetUint64()).second) {
      if (type == "started")
        kind_of[task] = str(doc, "task");
      else if (type == "progress")
        progress[kind_of[task]] += 1;
      else if (type == "tool_call")
        tool_of[{task, str(doc, "call_id")}] = str(doc, "tool");
      else if (type == "tool_result") {
        auto tool = tool_of[{task, str(doc, "call_id")}];
        auto ok = doc["ok"].GetBool();
        tool_calls[{tool, ok ? "ok" : str(doc["error"], "code")}] += 1;
      }
    }
    return doc;
  }

  rapidjson::Document
  until(const std::function<bool(const rapidjson::Document&)>& pred) {
    for (;;) {
      auto doc = next();
      if (pred(doc))
        return doc;
    }
  }

  rapidjson::Document reply(const std::string& text, const std::string& id) {
    REQUIRE(ws.send_text(text));
    return until([&](auto& d) { return str(d, "reply_to") == id; });
  }

  // Starts a task and returns its id.
  std::string start(const std::string& kind, const std::string& params,
                    const std::string& id) {
    auto r = reply(R"({"type":"start","id":")" + id + R"(","task":")" + kind +
                       R"(","params":)" + params + "}",
                   id);
    REQUIRE(test::type_of(r) == "start_success");
    return str(r, "task_id");
  }

  // Reads until the terminal event `type` of `task`.
  void until_event(const std::string& task, const std::string& type) {
    until([&](auto& d) {
      return test::type_of(d) == type && str(d, "task_id") == task &&
             !d.HasMember("reply_to");
    });
  }
};

// Checks that every series of `family` equals `expected` (missing = 0).
void check_family(const exposition& e, const std::string& family,
                  const std::map<std::string, double>& expected) {
  auto actual = e.family(family);
  REQUIRE_FALSE(actual.empty());
  for (auto& [k, v] : expected) {
    INFO("series " << k);
    REQUIRE(actual.count(k) == 1);
  }
  for (auto& [k, v] : actual) {
    auto i = expected.find(k);
    INFO("series " << k);
    CHECK(v == (i == expected.end() ? 0.0 : i->second));
  }
}

} // namespace

TEST_CASE("metrics count a scripted session exactly", "[metrics]") {
  metrics_server s{{"--heartbeat-ms=600000"}};
  auto port = s.server.port();

  // Before anything: the build is named and nothing is counted yet.
  auto first = s.scrape();
  {
    auto build = first.family("switchboard_build_info");
    REQUIRE(build.size() == 1);
    CHECK(build.begin()->first.find("version=\"0.1.0\"") != std::string::npos);
    CHECK(build.begin()->second == 1);
  }
  CHECK(first.at("switchboard_start_time_seconds") > 1.6e9);
  check_family(first, "switchboard_tasks_started_total", {});
  promtool_check(first.text);

  tallying_client c;
  c.connect(port);

  // Two tickers complete, a third is stopped while it sleeps.
  auto a = c.start("ticker", R"({"steps":2,"interval_ms":1})", "a");
  c.until_event(a, "result");
  auto b = c.start("ticker", R"({"steps":2,"interval_ms":1})", "b");
  c.until_event(b, "result");
  auto slow = c.start("ticker", R"({"steps":5,"interval_ms":600000})", "c");
  c.until_event(slow, "started");
  REQUIRE(c.ws.send_text(R"({"type":"stop","id":"s","task_id":")" + slow +
                         R"("})"));
  bool stop_replied = false, stopped = false;
  c.until([&](auto& d) {
    if (str(d, "reply_to") == "s")
      stop_replied = test::type_of(d) == "stop_success";
    if (test::type_of(d) == "stopped" && str(d, "task_id") == slow)
      stopped = true;
    return stop_replied && stopped;
  });

  // A triage whose question times out: it completes with what was decided
  // (nothing) and the rest listed as undecided.
  auto triage =
      c.start("triage", R"({"path":".","input_timeout_ms":300})", "t");
  c.until_event(triage, "input_request");
  auto done = c.until([&](auto& d) {
    return test::type_of(d) == "result" && str(d, "task_id") == triage;
  });
  CHECK(done["data"]["undecided"].Size() > 0);

  // Refused requests.
  auto unknown = c.reply(R"({"type":"start","id":"u","task":"nope"})", "u");
  CHECK(str(unknown, "code") == "unknown_task_kind");
  REQUIRE(c.ws.send_text("{bad"));
  auto bad = c.until([](auto& d) { return test::type_of(d) == "error"; });
  CHECK(str(bad, "code") == "bad_json");

  // Tool calls: one ok, one failing in the tool, one unknown tool.
  auto ok = c.reply(R"({"type":"call_tool","id":"k1","call_id":"k1",)"
                    R"("tool":"fs.read","args":{"path":"docs/readme.md"}})",
                    "k1");
  CHECK(test::type_of(ok) == "tool_result");
  auto missing =
      c.reply(R"({"type":"call_tool","id":"k2","call_id":"k2",)"
              R"("tool":"fs.read","args":{"path":"no/such/file.txt"}})",
              "k2");
  REQUIRE(test::type_of(missing) == "error");
  auto missing_code = str(missing, "code");
  auto nosuch = c.reply(R"({"type":"call_tool","id":"k3","call_id":"k3",)"
                        R"("tool":"no.such","args":{}})",
                        "k3");
  CHECK(str(nosuch, "code") == "unknown_tool");

  // A WebSocket resume: ticker a from seq 1 replays progress, progress and
  // result. This connection already got them, so it unsubscribes first (a
  // subscribe never sends a connection what it was sent already).
  auto unsub = c.reply(
      R"({"type":"unsubscribe","id":"u","task_id":")" + a + R"("})", "u");
  CHECK(test::type_of(unsub) == "unsubscribe_success");
  auto sub = c.reply(R"({"type":"subscribe","id":"r","task_id":")" + a +
                         R"(","after":1})",
                     "r");
  CHECK(test::type_of(sub) == "subscribe_success");
  c.until_event(a, "result");
  auto pong = c.reply(R"({"type":"ping","id":"p"})", "p");
  CHECK(test::type_of(pong) == "pong");

  // An SSE resume of ticker b after seq 2: progress and result, then the
  // stream ends.
  std::map<std::string, double> sse_types;
  {
    test::http_stream st;
    REQUIRE(st.open(port, "/api/tasks/" + b + "/events",
                    {{"Last-Event-ID", "2"}}) == 200);
    auto text = st.read_all(10s);
    std::istringstream in{text};
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("event: ", 0) == 0)
        sse_types[line.substr(7)] += 1;
    CHECK(sse_types ==
          std::map<std::string, double>{{"progress", 1}, {"result", 1}});
  }

  // Plain HTTP: a list and a refused start.
  CHECK(test::request(port, "GET", "/api/tasks").status == 200);
  CHECK(test::request(port, "POST", "/api/tasks", R"({"task":"nope"})",
                      {{"Content-Type", "application/json"}})
            .status == 404);

  c.ws.close();
  auto e = s.scrape_until([](const exposition& x) {
    return x.at("switchboard_websocket_sessions") == 0 &&
           x.at("switchboard_sse_streams") == 0;
  });
  INFO(e.text);

  // -- tasks ------------------------------------------------------------------
  check_family(
      e, "switchboard_tasks_started_total",
      {{key("switchboard_tasks_started_total", {{"kind", "ticker"}}), 3},
       {key("switchboard_tasks_started_total", {{"kind", "triage"}}), 1}});
  auto fin = [](const char* kind, const char* state) {
    return key("switchboard_tasks_finished_total",
               {{"kind", kind}, {"state", state}});
  };
  check_family(e, "switchboard_tasks_finished_total",
               {{fin("ticker", "completed"), 2},
                {fin("ticker", "cancelled"), 1},
                {fin("triage", "completed"), 1}});
  check_family(
      e, "switchboard_task_duration_seconds_count",
      {{key("switchboard_task_duration_seconds_count", {{"kind", "ticker"}}),
        3},
       {key("switchboard_task_duration_seconds_count", {{"kind", "triage"}}),
        1}});
  CHECK(e.at("switchboard_task_duration_seconds_bucket",
             {{"kind", "ticker"}, {"le", "+Inf"}}) == 3);
  REQUIRE(c.progress["ticker"] == 4);
  REQUIRE(c.progress["triage"] > 0);
  check_family(
      e, "switchboard_task_progress_steps_total",
      {{key("switchboard_task_progress_steps_total", {{"kind", "ticker"}}),
        c.progress["ticker"]},
       {key("switchboard_task_progress_steps_total", {{"kind", "triage"}}),
        c.progress["triage"]}});
  check_family(e, "switchboard_tasks_active", {});
  check_family(e, "switchboard_input_wait_seconds_count",
               {{key("switchboard_input_wait_seconds_count",
                     {{"kind", "triage"}, {"outcome", "timeout"}}),
                 1}});
  auto waited = e.at("switchboard_input_wait_seconds_sum",
                     {{"kind", "triage"}, {"outcome", "timeout"}});
  CHECK(waited >= 0.29);
  CHECK(waited < 10);

  // -- tools ------------------------------------------------------------------
  std::map<std::string, double> calls, durations;
  for (auto& [k, n] : c.tool_calls) {
    calls[key("switchboard_tool_calls_total",
              {{"tool", k.first}, {"outcome", k.second}})] += n;
    durations[key("switchboard_tool_call_duration_seconds_count",
                  {{"tool", k.first}})] += n;
  }
  REQUIRE(c.tool_calls.count({"fs.list", "ok"}) == 1);
  REQUIRE(c.tool_calls.count({"secrets.scan", "ok"}) == 1);
  calls[key("switchboard_tool_calls_total",
            {{"tool", "fs.read"}, {"outcome", "ok"}})] += 1;
  calls[key("switchboard_tool_calls_total",
            {{"tool", "fs.read"}, {"outcome", missing_code}})] += 1;
  calls[key("switchboard_tool_calls_total",
            {{"tool", "unknown"}, {"outcome", "unknown_tool"}})] += 1;
  // Both fs.read calls ran the tool; the unknown one ran nothing.
  durations[key("switchboard_tool_call_duration_seconds_count",
                {{"tool", "fs.read"}})] += 2;
  check_family(e, "switchboard_tool_calls_total", calls);
  check_family(e, "switchboard_tool_call_duration_seconds_count", durations);

  // -- messages ---------------------------------------------------------------
  auto rx = [](const char* t, const char* type) {
    return key("switchboard_messages_received_total",
               {{"transport", t}, {"type", type}});
  };
  auto tx = [](const std::string& t, const std::string& type) {
    return key("switchboard_messages_sent_total",
               {{"transport", t}, {"type", type}});
  };
  check_family(e, "switchboard_messages_received_total",
               {{rx("websocket", "start"), 5},
                {rx("websocket", "stop"), 1},
                {rx("websocket", "invalid"), 1},
                {rx("websocket", "call_tool"), 3},
                {rx("websocket", "subscribe"), 1},
                {rx("websocket", "unsubscribe"), 1},
                {rx("websocket", "ping"), 1},
                {rx("http", "events"), 1},
                {rx("http", "list_tasks"), 1},
                {rx("http", "start"), 1},
                {rx("http", "metrics"), static_cast<double>(s.scrapes)}});
  std::map<std::string, double> sent;
  for (auto& [type, n] : c.types)
    sent[tx("websocket", type)] = n;
  for (auto& [type, n] : sse_types)
    sent[tx("sse", type)] = n;
  sent[tx("http", "tasks")] = 1;
  sent[tx("http", "error")] = 1;
  // The last scrape's own response is counted after it was serialized.
  sent[tx("http", "metrics")] = s.scrapes - 1;
  check_family(e, "switchboard_messages_sent_total", sent);

  // -- errors, resumes, connections
  // ---------------------------------------------
  auto err = [](const std::string& code) {
    return key("switchboard_protocol_errors_total", {{"code", code}});
  };
  std::map<std::string, double> errors{{err("unknown_task_kind"), 2},
                                       {err("bad_json"), 1},
                                       {err("unknown_tool"), 1}};
  errors[err(missing_code)] += 1;
  check_family(e, "switchboard_protocol_errors_total", errors);
  check_family(
      e, "switchboard_resumes_total",
      {{key("switchboard_resumes_total", {{"transport", "websocket"}}), 1},
       {key("switchboard_resumes_total", {{"transport", "sse"}}), 1}});
  check_family(e, "switchboard_events_expired_total", {});
  check_family(e, "switchboard_disconnects_total", {});
  CHECK(e.at("switchboard_websocket_sessions") == 0);
  CHECK(e.at("switchboard_sse_streams") == 0);
  CHECK(e.at("switchboard_outbound_queue_bytes") == 0);

  promtool_check(e.text);
  check_dashboard(e);
}

TEST_CASE("metrics count slow consumers and lost heartbeats",
          "[metrics][disconnects]") {
  // A client that stops reading while a ticker emits as fast as it can.
  // Its writes stall once the small kernel buffer is full; the write
  // timeout notices long before three heartbeats pass.
  metrics_server s{{"--heartbeat-ms=1500", "--max-queue-bytes=4096",
                    "--write-timeout-ms=200", "--socket-send-buffer=16384"}};
  auto port = s.server.port();

  auto flood = std::make_unique<test::ws_client>();
  REQUIRE(flood->connect(port));
  REQUIRE(test::type_of(flood->read_json()) == "hello");
  auto started =
      flood->request(R"({"type":"start","id":"f","task":"ticker",)"
                     R"("params":{"steps":1000000,"interval_ms":0}})",
                     "f");
  std::string task_id = started["task_id"].GetString();
  auto slow = s.scrape_until([](const exposition& x) {
    return x.at("switchboard_disconnects_total",
                {{"transport", "websocket"}, {"reason", "slow_consumer"}}) > 0;
  });
  CHECK(slow.at("switchboard_disconnects_total",
                {{"transport", "websocket"}, {"reason", "slow_consumer"}}) ==
        1);
  while (flood->read_text(5s)) {
  }
  // No close frame fits a full socket: 1013 only if it got through.
  CHECK((flood->close_code() == 1013 || flood->close_code() == 0));
  CHECK(test::request(port, "POST", "/api/tasks/" + task_id + "/stop", "{}",
                      {{"Content-Type", "application/json"}})
            .status == 200);

  // A client that never answers pings: dropped after three heartbeats.
  auto silent = std::make_unique<test::ws_client>();
  REQUIRE(silent->connect(port));
  auto e = s.scrape_until([](const exposition& x) {
    return x.at("switchboard_disconnects_total",
                {{"transport", "websocket"}, {"reason", "heartbeat"}}) > 0;
  });
  INFO(e.text);
  check_family(e, "switchboard_disconnects_total",
               {{key("switchboard_disconnects_total",
                     {{"transport", "websocket"}, {"reason", "slow_consumer"}}),
                 1},
                {key("switchboard_disconnects_total",
                     {{"transport", "websocket"}, {"reason", "heartbeat"}}),
                 1}});

  // Once both sockets are gone nothing stays queued.
  flood.reset();
  silent.reset();
  auto end = s.scrape_until([](const exposition& x) {
    return x.at("switchboard_websocket_sessions") == 0 &&
           x.at("switchboard_outbound_queue_bytes") == 0;
  });
  INFO(end.text);
  CHECK(end.at("switchboard_websocket_sessions") == 0);
  CHECK(end.at("switchboard_outbound_queue_bytes") == 0);
  check_family(end, "switchboard_tasks_active", {});
  promtool_check(end.text);
}
