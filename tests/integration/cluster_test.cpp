// Cluster membership against three real server processes on loopback:
// nodes learn each other through any seed, a killed or frozen node is lost
// within 3 s, a restarted one rejoins, and bad cluster options are refused.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "tests/support/eventually.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/ws_client.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

// One node: a server with a cluster port picked by the OS.
struct node {
  std::string name;
  test::server_process proc;
  uint16_t cluster_port = 0;

  node(std::string n, std::vector<std::string> join,
       std::vector<std::string> extra = {})
      : name(n), proc(args(n, join, extra)) {
    auto out = proc.output();
    auto at = out.find("cluster port ");
    REQUIRE(at != std::string::npos);
    cluster_port = static_cast<uint16_t>(std::stoi(out.substr(at + 13)));
  }

  static std::vector<std::string> args(const std::string& n,
                                       const std::vector<std::string>& join,
                                       const std::vector<std::string>& extra) {
    std::vector<std::string> out{"--history=memory", "--node-name=" + n,
                                 "--cluster-port=0"};
    out.insert(out.end(), extra.begin(), extra.end());
    for (auto& j : join)
      out.push_back("--join=" + j);
    return out;
  }

  std::string address() const {
    return "127.0.0.1:" + std::to_string(cluster_port);
  }

  // The member names this node's status lists.
  std::set<std::string> members() {
    auto r = test::request(proc.port(), "GET", "/api/status");
    if (r.status != 200)
      return {};
    auto doc = test::parse(r.body);
    std::set<std::string> out;
    if (doc.IsObject() && doc.HasMember("nodes"))
      for (auto& n : doc["nodes"].GetArray())
        out.insert(n["name"].GetString());
    return out;
  }
};

using names = std::set<std::string>;

// Nodes A and B, B joined through A, once both see both.
struct pair_of_nodes {
  node a;
  node b;

  explicit pair_of_nodes(std::vector<std::string> a_extra = {})
      : a{"a", {}, std::move(a_extra)}, b{"b", {a.address()}} {
    REQUIRE(test::eventually(
        [&] {
          return a.members() == names{"a", "b"} &&
                 b.members() == names{"a", "b"};
        },
        10s));
  }
};

// Connects `c` to `n`'s WebSocket and reads the hello.
void connect(test::ws_client& c, node& n) {
  REQUIRE(c.connect(n.proc.port()));
  REQUIRE(test::type_of(c.read_json()) == "hello");
}

} // namespace

TEST_CASE("three nodes form a cluster through any seed: a killed or frozen "
          "node is lost within 3 s and a restarted one rejoins",
          "[cluster]") {
  node a{"a", {}};
  node b{"b", {a.address()}};
  // C knows only B, and learns A from it.
  node c{"c", {b.address()}};
  for (auto* n : {&a, &b, &c}) {
    INFO(n->name);
    CHECK(test::eventually(
        [&] {
          return n->members() == names{"a", "b", "c"};
        },
        10s));
  }
  // The status lists this node first, with its cluster address.
  auto doc =
      test::parse(test::request(c.proc.port(), "GET", "/api/status").body);
  CHECK(std::string{doc["nodes"][0]["name"].GetString()} == "c");
  CHECK(doc["nodes"][0]["port"].GetInt() == c.cluster_port);
  // Killed: its socket closes, the others drop it at once.
  c.proc.kill();
  auto t0 = std::chrono::steady_clock::now();
  CHECK(test::eventually(
      [&] {
        return a.members() == names{"a", "b"} && b.members() == names{"a", "b"};
      },
      3s));
  // Frozen: the heartbeats find it (500 ms interval, 2 s timeout).
  b.proc.signal(SIGSTOP);
  t0 = std::chrono::steady_clock::now();
  CHECK(test::eventually([&] { return a.members() == names{"a"}; }, 3500ms));
  auto lost_after = std::chrono::steady_clock::now() - t0;
  CHECK(lost_after < 3s);
  // Both losses counted; a lone node counts itself.
  CHECK(test::metric(a.proc.port(), "switchboard_cluster_nodes") == 1);
  CHECK(test::metric(a.proc.port(), "switchboard_cluster_nodes_lost_total") ==
        2);
  b.proc.signal(SIGCONT);
  b.proc.kill();
  // A node restarted under the same name rejoins, through its seed.
  node c2{"c", {a.address()}};
  CHECK(test::eventually([&] { return a.members() == names{"a", "c"}; }, 10s));
  CHECK(test::eventually([&] { return c2.members() == names{"a", "c"}; }, 10s));
}

TEST_CASE("a node that leaves cleanly is dropped at once, and a seed that "
          "restarts is joined again",
          "[cluster]") {
  auto a = std::make_unique<node>("a", std::vector<std::string>{});
  auto port = a->cluster_port;
  node b{"b", {a->address()}};
  REQUIRE(test::eventually(
      [&] {
        return b.members() == names{"a", "b"};
      },
      10s));
  CHECK(a->proc.terminate() == 0);
  CHECK(test::eventually([&] { return b.members() == names{"b"}; }, 3s));
  // The seed comes back on its port: B dials its seeds until they answer.
  a.reset();
  test::server_process again{{"--history=memory", "--node-name=a",
                              "--cluster-port=" + std::to_string(port)}};
  CHECK(test::eventually([&] { return b.members() == names{"a", "b"}; }, 10s));
}

TEST_CASE("bad cluster options are refused at start with a clear message",
          "[cluster]") {
  auto refused = [](std::vector<std::string> args, const std::string& says) {
    INFO(says);
    args.insert(args.begin(), {"--port=0", "--history=memory"});
    auto [rc, out] = test::run_to_exit(args);
    CHECK(rc == 1);
    CHECK(out.find(says) != std::string::npos);
  };
  refused({"--join=127.0.0.1:1"}, "--join needs --cluster-port");
  refused({"--cluster-port=0", "--cluster-host=0.0.0.0"},
          "authenticates nobody");
  refused({"--cluster-port=0", "--join=nohost"}, "expected HOST:PORT");
  refused({"--cluster-port=0", "--join=h:99999"}, "expected HOST:PORT");
  refused({"--cluster-port=0", "--cluster-secret=short"},
          "at least 16 characters");
  refused({"--cluster-port=0", "--node-name=a/b"}, "--node-name");
}

TEST_CASE("with a cluster secret, only nodes that know it are admitted",
          "[cluster]") {
  std::string secret = "--cluster-secret=0123456789abcdef-right";
  node a{"a", {}, {secret}};
  node b{"b", {a.address()}, {secret}};
  node c{"c", {a.address()}, {"--cluster-secret=0123456789abcdef-wrong"}};
  node d{"d", {a.address()}};
  CHECK(test::eventually([&] { return a.members() == names{"a", "b"}; }, 10s));
  CHECK(b.members() == names{"a", "b"});
  // C and D dial A every second and are refused each time (A logs it).
  std::this_thread::sleep_for(1500ms);
  CHECK(a.members() == names{"a", "b"});
  CHECK(c.members() == names{"c"});
  CHECK(d.members() == names{"d"});
}

TEST_CASE("every node's tools are listed and called through any node: a lost "
          "node's tools leave, every client is told, and its calls fail "
          "with node_lost",
          "[cluster][tools]") {
  pair_of_nodes p;
  auto& [a, b] = p;
  test::ws_client c;
  connect(c, b);
  auto tools = c.request(R"({"type":"list_tools","id":"l"})", "l");
  std::map<std::string, std::string> node_of;
  for (auto& t : tools["tools"].GetArray())
    node_of[t["name"].GetString()] = t["node"].GetString();
  CHECK(node_of["fs.hash"] == "b");
  CHECK(node_of["a/fs.hash"] == "a");
  CHECK(node_of["a/secrets.scan"] == "a");
  // A call through B runs on A: the same digest as B's own.
  auto call = [&](const std::string& id, const std::string& tool) {
    return c.request(R"({"type":"call_tool","id":")" + id + R"(","call_id":")" +
                         id + R"(","tool":")" + tool +
                         R"(","args":{"path":"README.md"}})",
                     id, 10s);
  };
  auto remote = call("c1", "a/fs.hash");
  auto local = call("c2", "fs.hash");
  REQUIRE(test::type_of(remote) == "tool_result");
  REQUIRE(test::type_of(local) == "tool_result");
  CHECK(std::string{remote["result"]["sha256"].GetString()} ==
        local["result"]["sha256"].GetString());
  // Arguments are checked on the tool's node, with the same codes.
  auto bad = c.request(
      R"({"type":"call_tool","id":"c3","call_id":"c3","tool":"a/fs.hash","args":{}})",
      "c3", 10s);
  CHECK(test::str(bad, "code") == "invalid_args");
  auto unknown = call("c4", "z/fs.hash");
  CHECK(test::str(unknown, "code") == "unknown_tool");
  // A frozen: the call waits, then fails node_lost once A is lost; every
  // client is told that A's tools are gone.
  a.proc.signal(SIGSTOP);
  c.send_text(
      R"({"type":"call_tool","id":"c5","call_id":"c5","tool":"a/fs.hash","args":{"path":"README.md"}})");
  bool told = false;
  bool failed = false;
  auto t0 = std::chrono::steady_clock::now();
  while ((!told || !failed) && std::chrono::steady_clock::now() - t0 < 5s) {
    auto msg = c.read_json(5s);
    if (!msg.IsObject())
      break;
    auto type = test::type_of(msg);
    if (type == "tools_changed") {
      told = true;
      for (auto& t : msg["tools"].GetArray())
        CHECK(std::string{t["node"].GetString()} == "b");
    } else if (type == "error" && test::text_of(msg, "reply_to") == "c5") {
      failed = true;
      CHECK(test::str(msg, "code") == "node_lost");
    }
  }
  CHECK(told);
  CHECK(failed);
  CHECK(std::chrono::steady_clock::now() - t0 < 3500ms);
  a.proc.signal(SIGCONT);
}

namespace {

// Reads messages until the task's terminal event; answers it, or null.
rapidjson::Document read_terminal(test::ws_client& c, const std::string& id,
                                  std::chrono::milliseconds timeout) {
  return c.read_until(
      [&](const rapidjson::Document& m) {
        auto type = test::type_of(m);
        return test::text_of(m, "task_id") == id &&
               (type == "result" || type == "error" || type == "stopped");
      },
      timeout);
}

} // namespace

TEST_CASE("a start runs on the node with the fewest running tasks or on the "
          "node it names: any node routes every command and HTTP call for "
          "any task",
          "[cluster][tasks]") {
  pair_of_nodes p;
  auto& [a, b] = p;
  test::ws_client c;
  connect(c, a);
  auto start = [&](const std::string& id, const std::string& params) {
    return c.request(R"({"type":"start","id":")" + id +
                         R"(","task":"ticker","params":)" + params + "}",
                     id, 10s);
  };
  // Both idle: the first stays on A (a tie); A then runs one, so the
  // second goes to B.
  auto first = start("s1", R"({"steps":1000,"interval_ms":50})");
  REQUIRE(test::type_of(first) == "start_success");
  auto first_id = test::str(first, "task_id");
  CHECK(first_id.rfind("t-a-", 0) == 0);
  auto second = start("s2", R"({"steps":1000,"interval_ms":50})");
  REQUIRE(test::type_of(second) == "start_success");
  auto second_id = test::str(second, "task_id");
  CHECK(second_id.rfind("t-b-", 0) == 0);
  // Pinned: `node` in the params; an unknown node is refused.
  auto pinned = start("s3", R"({"steps":3,"interval_ms":10,"node":"b"})");
  REQUIRE(test::type_of(pinned) == "start_success");
  auto pinned_id = test::str(pinned, "task_id");
  CHECK(pinned_id.rfind("t-b-", 0) == 0);
  auto done = read_terminal(c, pinned_id, 10s);
  REQUIRE(done.IsObject());
  CHECK(test::type_of(done) == "result");
  CHECK(done["seq"].GetUint64() == 5); // started, 3 progress, result
  auto nowhere = start("s4", R"({"steps":3,"node":"z"})");
  CHECK(test::str(nowhere, "code") == "invalid_params");
  // B's task through B's own door and through A's: the same snapshot;
  // stopped through A.
  auto via_b = test::request(b.proc.port(), "GET", "/api/tasks/" + second_id);
  auto via_a = test::request(a.proc.port(), "GET", "/api/tasks/" + second_id);
  REQUIRE(via_b.status == 200);
  REQUIRE(via_a.status == 200);
  CHECK(test::str(test::parse(via_a.body), "task") == "ticker");
  auto stop = c.request(R"({"type":"stop","id":"x","task_id":")" + second_id +
                            R"(","reason":"enough"})",
                        "x", 10s);
  CHECK(test::type_of(stop) == "stop_success");
  CHECK(test::str(stop, "state") == "cancelled");
  // A second client, on B, reads B's stopped task from the start (every
  // event once, in order) and resumes A's running one after seq 1.
  test::ws_client d;
  connect(d, b);
  auto sub = d.request(R"({"type":"subscribe","id":"r","task_id":")" +
                           second_id + R"(","after":0})",
                       "r", 10s);
  REQUIRE(test::type_of(sub) == "subscribe_success");
  uint64_t expect = 1;
  auto end = d.read_until(
      [&](const rapidjson::Document& m) {
        if (test::text_of(m, "task_id") != second_id || !m.HasMember("seq"))
          return false;
        CHECK(m["seq"].GetUint64() == expect);
        ++expect;
        return test::type_of(m) == "stopped";
      },
      10s);
  CHECK(test::type_of(end) == "stopped");
  auto resume = d.request(R"({"type":"subscribe","id":"r2","task_id":")" +
                              first_id + R"(","after":1})",
                          "r2", 10s);
  REQUIRE(test::type_of(resume) == "subscribe_success");
  auto next = d.read_until(
      [&](const rapidjson::Document& m) {
        return test::text_of(m, "task_id") == first_id && m.HasMember("seq");
      },
      10s);
  REQUIRE(next.IsObject());
  CHECK(next["seq"].GetUint64() == 2);
  // Either node lists the cluster's tasks, newest first; paged one by one
  // over HTTP, every task comes once.
  auto listed = c.request(R"({"type":"list_tasks","id":"l"})", "l", 10s);
  REQUIRE(test::type_of(listed) == "tasks");
  std::vector<std::string> ids;
  for (auto& t : listed["tasks"].GetArray())
    ids.push_back(t["task_id"].GetString());
  CHECK(ids.size() == 3);
  for (auto* id : {&first_id, &second_id, &pinned_id})
    CHECK(std::count(ids.begin(), ids.end(), *id) == 1);
  std::vector<std::string> paged;
  std::string cursor;
  for (int page = 0; page < 6; ++page) {
    auto r = test::request(b.proc.port(), "GET",
                           "/api/tasks?limit=1" +
                               (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    auto doc = test::parse(r.body);
    for (auto& t : doc["tasks"].GetArray())
      paged.push_back(t["task_id"].GetString());
    if (!doc.HasMember("next_cursor"))
      break;
    cursor = doc["next_cursor"].GetString();
  }
  CHECK(paged == ids);
  // A task id that names no member is refused, whatever door it reaches.
  auto ghost = test::request(b.proc.port(), "GET",
                             "/api/tasks/t-z-0123456789abcdef0123456789abcdef");
  CHECK(ghost.status != 200);
  CHECK(test::str(test::parse(ghost.body), "code") == "node_lost");
  // Nothing holds a node's shutdown up, not even the idle relays A made for
  // the lookups above (they wait a minute for more use).
  auto stop_first = c.request(
      R"({"type":"stop","id":"y","task_id":")" + first_id + R"("})", "y", 10s);
  CHECK(test::type_of(stop_first) == "stop_success");
  auto t0 = std::chrono::steady_clock::now();
  CHECK(a.proc.terminate(8s) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("a node killed mid-task ends the task for its watchers on other "
          "nodes with one node_lost error, seq after the last they saw",
          "[cluster][tasks]") {
  pair_of_nodes p;
  auto& [a, b] = p;
  test::ws_client c;
  connect(c, a);
  auto started = c.request(
      R"({"type":"start","id":"s","task":"ticker","params":{"steps":100000,"interval_ms":20,"node":"b"}})",
      "s", 10s);
  REQUIRE(test::type_of(started) == "start_success");
  auto id = test::str(started, "task_id");
  uint64_t last = 0;
  auto progress = c.read_until(
      [&](const rapidjson::Document& m) {
        if (test::text_of(m, "task_id") == id && m.HasMember("seq"))
          last = m["seq"].GetUint64();
        return last >= 5;
      },
      10s);
  REQUIRE(last >= 5);
  b.proc.kill();
  auto t0 = std::chrono::steady_clock::now();
  auto end = c.read_until(
      [&](const rapidjson::Document& m) {
        if (test::text_of(m, "task_id") != id || !m.HasMember("seq"))
          return false;
        if (test::type_of(m) != "error") {
          last = m["seq"].GetUint64();
          return false;
        }
        return true;
      },
      10s);
  REQUIRE(end.IsObject());
  CHECK(test::str(end, "code") == "node_lost");
  CHECK(end["seq"].GetUint64() == last + 1);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  // A keeps serving: its own tasks start there now, and B's ids are refused.
  auto again = c.request(
      R"({"type":"start","id":"s2","task":"ticker","params":{"steps":2}})",
      "s2", 10s);
  REQUIRE(test::type_of(again) == "start_success");
  CHECK(test::str(again, "task_id").rfind("t-a-", 0) == 0);
  auto gone = c.request(R"({"type":"stop","id":"x","task_id":")" + id + R"("})",
                        "x", 10s);
  CHECK(test::str(gone, "code") == "node_lost");
}

TEST_CASE("a draining node takes no new tasks and its tasks end for watchers "
          "elsewhere with their own terminal event, not node_lost",
          "[cluster][tasks]") {
  pair_of_nodes p{{"--grace-ms=2000"}};
  auto& [a, b] = p;
  test::ws_client c;
  connect(c, b);
  auto start = [&](const std::string& id, const std::string& params) {
    auto r = c.request(R"({"type":"start","id":")" + id +
                           R"(","task":"ticker","params":)" + params + "}",
                       id, 10s);
    REQUIRE(test::type_of(r) == "start_success");
    return test::str(r, "task_id");
  };
  // B runs two, A one that B's client watches.
  start("b1", R"({"steps":100000,"interval_ms":50,"node":"b"})");
  start("b2", R"({"steps":100000,"interval_ms":50,"node":"b"})");
  auto on_a = start("a1", R"({"steps":100000,"interval_ms":50,"node":"a"})");
  a.proc.signal(SIGTERM);
  // B learns within about a second that A drains.
  CHECK(test::eventually(
      [&] {
        auto r = test::request(b.proc.port(), "GET", "/api/status");
        auto doc = test::parse(r.body);
        if (!doc.IsObject() || !doc.HasMember("nodes"))
          return false;
        for (auto& n : doc["nodes"].GetArray())
          if (std::string{n["name"].GetString()} == "a")
            return n["draining"].GetBool();
        return false;
      },
      3s));
  // A runs fewer tasks, but drains: the next start stays on B.
  auto next = start("n", R"({"steps":1,"interval_ms":0})");
  CHECK(next.rfind("t-b-", 0) == 0);
  // A's task is stopped at the end of its grace period, and B's client
  // reads it end as it would on one node.
  auto end = read_terminal(c, on_a, 10s);
  REQUIRE(end.IsObject());
  CHECK(test::type_of(end) == "stopped");
  CHECK(a.proc.wait(10s).value_or(-1) == 0);
}
