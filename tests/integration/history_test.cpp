// The task history with the real server: restarts and crashes lose nothing
// a client has seen, bad database files are refused untouched, a full disk
// fails tasks explicitly, and the list is the history.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <sys/mount.h>
#include <sys/wait.h>

#include "protocol/json.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/sse_reader.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/ws_client.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

using test::parse;

// Lenient: the predicates below read every message, whatever its type.
const auto str = &test::text_of;

bool is_terminal(const std::string& type) {
  return type == "result" || type == "error" || type == "stopped";
}

// One server generation over a data directory that outlives it.
struct history_server {
  const test::fixture_tree& tree;
  const test::temp_dir& data;
  std::unique_ptr<test::server_process> server;

  history_server(const test::fixture_tree& t, const test::temp_dir& d,
                 std::vector<std::string> extra = {})
      : tree(t), data(d) {
    extra.push_back("--workspace=" + tree.root().string());
    extra.push_back(data.data_dir_option());
    server = std::make_unique<test::server_process>(std::move(extra));
  }

  uint16_t port() const {
    return server->port();
  }

  std::unique_ptr<test::ws_client> connect() {
    auto c = std::make_unique<test::ws_client>();
    REQUIRE(c->connect(port(), "/ws"));
    REQUIRE(test::type_of(c->read_json()) == "hello");
    return c;
  }
};

// Every event text a WebSocket subscription from `after` delivers, by seq,
// up to the terminal event, on a fresh connection (a connection is never
// sent an event twice).
std::map<uint64_t, std::string>
replay(uint16_t port, const std::string& task_id, uint64_t after) {
  test::ws_client c;
  REQUIRE(c.connect(port, "/ws"));
  REQUIRE(test::type_of(c.read_json()) == "hello");
  std::map<uint64_t, std::string> out;
  c.send_text(R"({"type":"subscribe","id":"r","task_id":")" + task_id +
              R"(","after":)" + std::to_string(after) + "}");
  auto deadline = std::chrono::steady_clock::now() + 30s;
  bool subscribed = false;
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = c.read_text(5s);
    INFO("task " << task_id << " after " << after << ": " << out.size()
                 << " events so far");
    REQUIRE(text);
    auto doc = parse(*text);
    auto type = str(doc, "type");
    if (type == "subscribe_success") {
      subscribed = true;
      continue;
    }
    if (type == "error" && !doc.HasMember("seq"))
      FAIL("subscribe failed: " << *text);
    if (!doc.HasMember("seq") || str(doc, "task_id") != task_id)
      continue;
    auto seq = doc["seq"].GetUint64();
    CHECK(out.count(seq) == 0);
    out[seq] = *text;
    if (is_terminal(type))
      break;
  }
  CHECK(subscribed);
  return out;
}

using test::run_to_exit;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("tasks finished before a restart are listed, queryable and "
          "resumable after it, byte for byte",
          "[history][restart]") {
  test::fixture_tree tree;
  test::temp_dir data;
  std::vector<std::string> ids;
  std::map<std::string, std::map<uint64_t, std::string>> before;
  {
    history_server s{tree, data};
    auto c = s.connect();
    for (auto [kind, params] :
         {std::pair{"ticker", R"({"steps":20,"interval_ms":0})"},
          std::pair{"audit", R"({"path":"."})"}}) {
      auto r = c->request(std::string{R"({"type":"start","id":"s","task":")"} +
                              kind + R"(","params":)" + params + "}",
                          "s", 10s);
      REQUIRE(test::type_of(r) == "start_success");
      ids.push_back(r["task_id"].GetString());
    }
    for (auto& id : ids)
      before[id] = replay(s.port(), id, 0);
    REQUIRE(s.server->terminate() == 0);
  }
  history_server s{tree, data};
  // Listed, newest first, with their ends.
  auto list = test::request(s.port(), "GET", "/api/tasks");
  REQUIRE(list.status == 200);
  auto doc = parse(list.body);
  REQUIRE(doc["tasks"].Size() == 2);
  CHECK(str(doc["tasks"][0], "task_id") == ids[1]);
  CHECK(str(doc["tasks"][1], "task_id") == ids[0]);
  for (auto& t : doc["tasks"].GetArray()) {
    CHECK(str(t, "state") == "completed");
    CHECK(t["ended_ms"].IsInt64());
    CHECK(t["duration_ms"].IsInt64());
    CHECK(t["last_seq"].GetUint64() ==
          before[str(t, "task_id")].rbegin()->first);
  }
  auto c = s.connect();
  for (auto& id : ids) {
    auto& log = before[id];
    // Snapshot.
    auto snap = test::request(s.port(), "GET", "/api/tasks/" + id);
    REQUIRE(snap.status == 200);
    auto sd = parse(snap.body);
    CHECK(str(sd, "state") == "completed");
    CHECK(sd["last_seq"].GetUint64() == log.rbegin()->first);
    CHECK(sd["result"].IsObject());
    // WebSocket from several seqs: the same bytes.
    for (uint64_t after : {uint64_t{0}, uint64_t{1}, log.rbegin()->first - 1}) {
      auto again = replay(s.port(), id, after);
      std::map<uint64_t, std::string> expected{log.upper_bound(after),
                                               log.end()};
      CHECK(again == expected);
    }
    // SSE with Last-Event-ID: the same data.
    test::sse_reader sse;
    REQUIRE(sse.stream.open(s.port(), "/api/tasks/" + id + "/events",
                            {{"Last-Event-ID", "2"}}) == 200);
    auto events = sse.until(parse(log.rbegin()->second)["type"].GetString());
    REQUIRE(events.size() == log.size() - 2);
    for (auto& e : events)
      CHECK(e.data == log[std::stoull(e.id)]);
  }
}

TEST_CASE("SIGKILL at random moments loses no event a client received, and "
          "every task that was live ends",
          "[history][crash]") {
  test::fixture_tree tree;
  std::mt19937 rng{std::random_device{}()};
  for (int round = 0; round < 3; ++round) {
    test::temp_dir data;
    // Every event any client received, by task and seq (raw text).
    std::mutex mtx;
    std::map<std::string, std::map<uint64_t, std::string>> seen;
    std::atomic<bool> mismatch{false};
    {
      history_server s{tree, data};
      auto a = s.connect();
      auto b = s.connect();
      std::vector<std::string> ids;
      auto start = [&](test::ws_client& c, const std::string& kind,
                       const std::string& params) {
        auto r = c.request(R"({"type":"start","id":"s","task":")" + kind +
                               R"(","params":)" + params + "}",
                           "s", 10s);
        REQUIRE(test::type_of(r) == "start_success");
        ids.push_back(r["task_id"].GetString());
      };
      start(*a, "ticker", R"({"steps":100000,"interval_ms":0})");
      start(*a, "ticker", R"({"steps":300,"interval_ms":3})");
      start(*b, "audit", R"({"path":"."})");
      start(*b, "triage", R"({"path":"."})");
      // Each task gets a second watcher on the other connection.
      for (size_t i = 0; i < ids.size(); ++i)
        (i < 2 ? *b : *a)
            .send_text(R"({"type":"subscribe","id":"w","task_id":")" + ids[i] +
                       R"(","after":0})");
      auto read = [&](test::ws_client& c) {
        while (auto text = c.read_text(5s)) {
          auto doc = parse(*text);
          if (!doc.IsObject() || !doc.HasMember("seq") ||
              !doc.HasMember("task_id"))
            continue;
          std::lock_guard<std::mutex> guard{mtx};
          auto& slot = seen[str(doc, "task_id")][doc["seq"].GetUint64()];
          if (!slot.empty() && slot != *text)
            mismatch = true;
          slot = *text;
        }
      };
      std::thread ta{[&] { read(*a); }};
      std::thread tb{[&] { read(*b); }};
      std::this_thread::sleep_for(std::chrono::milliseconds{
          std::uniform_int_distribution<>{50, 1200}(rng)});
      s.server->kill();
      ta.join();
      tb.join();
    }
    CHECK_FALSE(mismatch);
    history_server s{tree, data};
    auto c = s.connect();
    for (auto& [id, received] : seen) {
      INFO("round " << round << ", task " << id);
      auto stored = replay(s.port(), id, 0);
      REQUIRE_FALSE(stored.empty());
      // Seqs 1..n without a gap or a duplicate, ending with a terminal
      // event.
      uint64_t expected = 1;
      for (auto& [seq, text] : stored)
        CHECK(seq == expected++);
      auto last = parse(stored.rbegin()->second);
      CHECK(is_terminal(str(last, "type")));
      // Every received event is stored with the same seq and bytes.
      for (auto& [seq, text] : received) {
        REQUIRE(stored.count(seq) == 1);
        CHECK(stored[seq] == text);
      }
      // A task that had not ended for its clients ended after the crash
      // (interrupted) or just before it.
      if (!is_terminal(str(parse(received.rbegin()->second), "type")) &&
          str(last, "type") == "error")
        CHECK(str(last, "code") == "interrupted");
    }
  }
}

TEST_CASE("a corrupt file, a newer schema or an unusable directory: the "
          "server refuses to start and leaves the file as it was",
          "[history][refusal]") {
  test::fixture_tree tree;
  auto ws = "--workspace=" + tree.root().string();
  SECTION("not a database") {
    test::temp_dir data;
    auto file = data.path() / "switchboard.db";
    std::ofstream{file} << std::string(8192, 'x');
    auto bytes = read_file(file);
    auto [rc, out] = run_to_exit({"--port=0", ws, data.data_dir_option()});
    CHECK(rc == 1);
    CHECK(out.find(file.string()) != std::string::npos);
    CHECK(out.find("not a Switchboard database") != std::string::npos);
    CHECK(out.find("--data-dir") != std::string::npos);
    CHECK(read_file(file) == bytes);
  }
  SECTION("a newer schema") {
    test::temp_dir data;
    auto file = data.path() / "switchboard.db";
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &raw) == SQLITE_OK);
    sqlite3_exec(raw, "CREATE TABLE future(x); PRAGMA user_version=99;",
                 nullptr, nullptr, nullptr);
    sqlite3_close(raw);
    auto bytes = read_file(file);
    auto [rc, out] = run_to_exit({"--port=0", ws, data.data_dir_option()});
    CHECK(rc == 1);
    CHECK(out.find(file.string()) != std::string::npos);
    CHECK(out.find("newer Switchboard (schema version 99") !=
          std::string::npos);
    CHECK(read_file(file) == bytes);
  }
  SECTION("a directory that cannot be created") {
    test::temp_dir data;
    std::ofstream{data.path() / "plain-file"} << "x";
    auto dir = data.path() / "plain-file" / "sub";
    auto [rc, out] =
        run_to_exit({"--port=0", ws, "--data-dir=" + dir.string()});
    CHECK(rc == 1);
    CHECK(out.find("cannot create the data directory") != std::string::npos);
  }
}

TEST_CASE("a full disk fails the writing tasks with storage_unavailable, "
          "readiness says 503, and the server recovers when space returns",
          "[history][disk]") {
  test::fixture_tree tree;
  test::temp_dir data;
  if (::mount("tmpfs", data.path().c_str(), "tmpfs", 0, "size=2m") != 0) {
    WARN("cannot mount a size-limited tmpfs here (" << std::strerror(errno)
                                                    << "); the actor test with "
                                                       "a failing store covers "
                                                       "this");
    return;
  }
  struct unmount {
    std::string path;
    ~unmount() {
      ::umount2(path.c_str(), MNT_DETACH);
    }
  } guard{data.path().string()};
  // Retention of 4 s: the writer tidies up, and probes a full disk, every
  // second.
  history_server s{tree, data, {"--retention-ms=4000"}};
  auto c = s.connect();
  // About 100 bytes per event: a fast ticker fills 2 MB within seconds.
  auto r0 = c->request(
      R"({"type":"start","id":"s","task":"ticker","params":{"steps":1000000,"interval_ms":0}})",
      "s", 10s);
  REQUIRE(test::type_of(r0) == "start_success");
  std::string failed_id = r0["task_id"].GetString();
  auto terminal = c->read_until(
      [&](const rapidjson::Document& d) {
        return str(d, "task_id") == failed_id && is_terminal(str(d, "type"));
      },
      60s);
  CHECK(str(terminal, "type") == "error");
  CHECK(str(terminal, "code") == "storage_unavailable");
  // The failed transaction's pages stay in the WAL, so a small write fits
  // again at once; readiness still waits for real headroom. Two probes'
  // time, polled: it must say 503 throughout.
  auto until = std::chrono::steady_clock::now() + 2500ms;
  while (std::chrono::steady_clock::now() < until) {
    REQUIRE(test::request(s.port(), "GET", "/readyz").status == 503);
    std::this_thread::sleep_for(100ms);
  }
  CHECK(test::request(s.port(), "GET", "/healthz").status == 200);
  CHECK(test::metric(s.port(), "switchboard_store_write_errors_total") >= 1);
  // Space comes back: the writer's probe finds out without a task, and the
  // next task commits.
  REQUIRE(::mount("tmpfs", data.path().c_str(), "tmpfs", MS_REMOUNT,
                  "size=64m") == 0);
  CHECK(test::eventually(
      [&] { return test::request(s.port(), "GET", "/readyz").status == 200; },
      5s));
  auto r = c->request(
      R"({"type":"start","id":"s2","task":"ticker","params":{"steps":3,"interval_ms":0}})",
      "s2", 10s);
  REQUIRE(test::type_of(r) == "start_success");
  std::string id = r["task_id"].GetString();
  auto end = c->read_until(
      [&](const rapidjson::Document& d) {
        return str(d, "task_id") == id && is_terminal(str(d, "type"));
      },
      20s);
  CHECK(str(end, "type") == "result");
  CHECK(test::eventually(
      [&] { return test::request(s.port(), "GET", "/readyz").status == 200; },
      5s));
}

TEST_CASE("history queries over HTTP and WebSocket: filters, pages and "
          "exact errors",
          "[history][list]") {
  test::fixture_tree tree;
  test::temp_dir data;
  history_server s{tree, data};
  auto c = s.connect();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = c->request(
        R"({"type":"start","id":"s","task":"ticker","params":{"steps":1,"interval_ms":0}})",
        "s", 10s);
    ids.push_back(r["task_id"].GetString());
    c->read_until(
        [&](const rapidjson::Document& d) {
          return str(d, "type") == "result";
        },
        10s);
  }
  auto stopped = c->request(
      R"({"type":"start","id":"s","task":"ticker","params":{"steps":10,"interval_ms":60000}})",
      "s", 10s);
  std::string stop_id = stopped["task_id"].GetString();
  c->request(R"({"type":"stop","id":"x","task_id":")" + stop_id + R"("})", "x",
             10s);
  auto get = [&](const std::string& q) {
    auto r = test::request(s.port(), "GET", "/api/tasks" + q);
    return std::make_pair(r.status, parse(r.body));
  };
  auto [st1, completed] = get("?state=completed&kind=ticker&limit=2");
  REQUIRE(st1 == 200);
  REQUIRE(completed["tasks"].Size() == 2);
  CHECK(str(completed["tasks"][0], "task_id") == ids[2]);
  REQUIRE(completed.HasMember("next_cursor"));
  auto [st2, rest] = get("?state=completed&kind=ticker&limit=2&cursor=" +
                         str(completed, "next_cursor"));
  REQUIRE(st2 == 200);
  REQUIRE(rest["tasks"].Size() == 1);
  CHECK(str(rest["tasks"][0], "task_id") == ids[0]);
  CHECK_FALSE(rest.HasMember("next_cursor"));
  auto [st3, cancelled] = get("?state=cancelled,failed");
  REQUIRE(cancelled["tasks"].Size() == 1);
  CHECK(str(cancelled["tasks"][0], "task_id") == stop_id);
  auto [st4, none] = get(
      "?since=" +
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() +
                     60000));
  CHECK(none["tasks"].Size() == 0);
  // The same filters over WebSocket.
  auto ws = c->request(
      R"({"type":"list_tasks","id":"l","state":"cancelled","kind":"ticker"})",
      "l", 10s);
  REQUIRE(ws["tasks"].Size() == 1);
  CHECK(str(ws["tasks"][0], "node") == "local");
  // Bad filters get the exact error, and the server keeps serving.
  for (auto q : {"?state=done", "?since=yesterday", "?until=-5", "?cursor=abc",
                 "?limit=0"}) {
    INFO(q);
    auto [status, doc] = get(q);
    CHECK(status == 400);
    CHECK(str(doc, "code") == "bad_message");
  }
  auto bad =
      c->request(R"({"type":"list_tasks","id":"b","state":7})", "b", 10s);
  CHECK(str(bad, "code") == "bad_message");
  auto bad_time =
      c->request(R"({"type":"list_tasks","id":"b2","since":-1})", "b2", 10s);
  CHECK(str(bad_time, "code") == "bad_message");
  CHECK(get("").first == 200);
}
