// abuse: throws faults and hostile clients at a real switchboard server and
// prints what happened, for docs/reliability.md (issue 4). Not a test: it
// measures and reports; it exits 1 only when a scenario's invariant broke
// (a crash, a lost event, a server that stopped serving).
//
//   build-abuse/bin/abuse [--only=malformed,slow,drain,silent,conns,rate,auth]
//                         [--frames=100000] [--slow-clients=50]
//
// Each scenario starts its own server (the binary this target was built
// with, port 0, default workspace) with the options it needs.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "protocol/json.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/ws_client.hpp"

using namespace switchboard;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

namespace {

bool failed = false;

void fail(const std::string& what) {
  std::printf("  FAILED: %s\n", what.c_str());
  failed = true;
}

double secs(clk::duration d) {
  return std::chrono::duration<double>(d).count();
}

// VmRSS of `pid` in KiB, or 0.
long rss_kib(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return 0;
}

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  protocol::parse_json(text, doc);
  return doc;
}

std::string str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString())
    return {};
  return v[key].GetString();
}

std::unique_ptr<test::ws_client> connect(uint16_t port,
                                         test::header_list headers = {}) {
  auto c = std::make_unique<test::ws_client>();
  if (!c->connect(port, "/ws", std::move(headers)))
    return nullptr;
  auto hello = c->read_text(5s);
  if (!hello || test::type_of(parse(*hello)) != "hello")
    return nullptr;
  return c;
}

// The server still answers a ping, /healthz, and runs a task to its result.
bool still_serving(uint16_t port) {
  auto c = connect(port);
  if (!c)
    return false;
  try {
    if (test::type_of(c->request(R"({"type":"ping","id":"alive"})", "alive")) !=
        "pong")
      return false;
    auto ok = c->request(
        R"({"type":"start","id":"s","task":"ticker","params":{"steps":3,"interval_ms":1}})",
        "s");
    if (test::type_of(ok) != "start_success")
      return false;
    c->read_type("result", 10s);
  } catch (const std::exception&) {
    return false;
  }
  return test::request(port, "GET", "/healthz").status == 200;
}

std::vector<std::string> read_to_end(test::ws_client& c,
                                     std::chrono::milliseconds timeout) {
  std::vector<std::string> out;
  auto deadline = clk::now() + timeout;
  while (c.is_open() && clk::now() < deadline)
    if (auto m = c.read_text(200ms))
      out.push_back(*m);
  return out;
}

// -- malformed frames ----------------------------------------------------------

void malformed(size_t frames) {
  std::printf("## malformed frames\n");
  test::server_process server{{"--rate-limit=1000000",
                               "--max-message-bytes=65536"}};
  auto port = server.port();
  long rss0 = rss_kib(server.pid());
  std::string deep(65, '[');
  deep += std::string(65, ']');
  std::string big_number = "1" + std::string(90, '8') + "e300";
  // Each answered with one error (or reply) and the connection kept.
  const std::vector<std::pair<std::string, bool>> kinds = {
      {"", false},
      {"{", false},
      {"}", false},
      {"null", false},
      {"[1,2,3]", false},
      {"\"text\"", false},
      {"42", false},
      {"{\"type\":\"ping\"} trailing", false},
      {"{\"type\":\"ping\",}", false},
      {"{'type':'ping'}", false},
      {"{\"id\":1}", false},
      {"{\"type\":7,\"id\":1}", false},
      {"{\"type\":\"warp\",\"id\":1}", false},
      {"{\"type\":\"start\",\"id\":1}", false},
      {"{\"type\":\"start\",\"id\":1,\"task\":\"nope\"}", false},
      {"{\"type\":\"start\",\"id\":1,\"task\":\"ticker\",\"params\":[]}", false},
      {"{\"type\":\"start\",\"id\":1,\"task\":\"ticker\",\"params\":{\"steps\":\"x\"}}",
       false},
      {"{\"type\":\"stop\",\"id\":1,\"task_id\":\"t-none\"}", false},
      {"{\"type\":\"input\",\"id\":1,\"task_id\":\"t-x\",\"request_id\":\"r\"}",
       false},
      {"{\"type\":\"subscribe\",\"id\":1,\"task_id\":\"t-x\",\"after\":-1}", false},
      {"{\"type\":\"subscribe\",\"id\":1,\"task_id\":\"t-none\"}", false},
      {"{\"type\":\"call_tool\",\"id\":1,\"call_id\":\"c\",\"tool\":\"nope\",\"args\":{}}",
       false},
      {"{\"type\":\"call_tool\",\"id\":1,\"call_id\":\"c\",\"tool\":\"fs.read\",\"args\":{\"path\":\"../../etc/passwd\"}}",
       false},
      {"{\"type\":\"ping\",\"id\":{\"nested\":true}}", false},
      {"{\"type\":\"ping\",\"id\":\"\\udc00\"}", false},
      {"{\"type\":\"ping\",\"id\":" + big_number + "}", false},
      {deep, false},
      {std::string("{\"type\":\"ping\"\0}", 16), false},
      {"binary", true}, // sent as a binary frame
  };
  std::map<std::string, size_t> codes;
  size_t sent = 0, replies = 0, missing = 0, reconnects = 0;
  std::map<int, size_t> closes;
  auto c = connect(port);
  auto t0 = clk::now();
  const size_t batch = 100;
  size_t k = 0;
  while (sent < frames) {
    if (!c || !c->is_open()) {
      if (c)
        ++closes[c->close_code()];
      ++reconnects;
      c = connect(port);
      if (!c) {
        fail("cannot reconnect after " + std::to_string(sent) + " frames");
        break;
      }
    }
    size_t n = std::min(batch, frames - sent);
    size_t out = 0;
    for (size_t i = 0; i < n; ++i, ++k) {
      auto& [text, binary] = kinds[k % kinds.size()];
      if (!(binary ? c->send_binary(text) : c->send_text(text)))
        break;
      ++out;
    }
    sent += out;
    for (size_t i = 0; i < out; ++i) {
      auto m = c->read_text(5s);
      if (!m) {
        missing += out - i;
        break;
      }
      auto d = parse(*m);
      auto type = test::type_of(d);
      if (type == "heartbeat") {
        --i;
        continue;
      }
      ++replies;
      ++codes[type == "error" ? str(d, "code") : type];
    }
  }
  auto took = clk::now() - t0;
  // Frames that close the connection, each kind 100 times on fresh ones.
  const int rounds = 100;
  const std::vector<std::pair<const char*, std::string>> closing = {
      {"70 kB of garbage (> 64 KiB)", std::string(70000, 'x')},
      {"66 kB of valid JSON (> 64 KiB)",
       "[" + std::string(66000, '1') + "]"},
      {"invalid UTF-8 in a text frame", "{\"type\":\"ping\",\"id\":\"\xff\xfe\"}"},
  };
  std::vector<std::map<int, int>> closed(closing.size());
  for (size_t kind = 0; kind < closing.size(); ++kind)
    for (int i = 0; i < rounds; ++i) {
      auto x = connect(port);
      if (!x) {
        fail("cannot connect for the closing frames");
        break;
      }
      x->send_text(closing[kind].second);
      read_to_end(*x, 5s);
      ++closed[kind][x->is_open() ? -1 : x->close_code()];
    }
  bool alive = server.running() && still_serving(port);
  std::printf("  %zu frames of %zu kinds in %.1f s (%.0f/s), %zu replies, "
              "%zu unanswered, %zu reconnects\n",
              sent, kinds.size(), secs(took), sent / secs(took), replies,
              missing, reconnects);
  std::printf("  replies by code:");
  for (auto& [code, n] : codes)
    std::printf(" %s=%zu", code.c_str(), n);
  std::printf("\n  connection ends (close code x count) of those:");
  for (auto& [code, n] : closes)
    std::printf(" %d x%zu", code, n);
  for (size_t kind = 0; kind < closing.size(); ++kind) {
    std::printf("\n  %d x %s: close codes", rounds, closing[kind].first);
    for (auto& [code, n] : closed[kind])
      std::printf(" %d x%d", code, n);
  }
  std::printf("\n  server RSS %ld -> %ld KiB; running: %s; still serving: %s\n",
              rss0, rss_kib(server.pid()), server.running() ? "yes" : "NO",
              alive ? "yes" : "NO");
  if (!alive)
    fail("server stopped serving");
  if (missing)
    fail("unanswered frames");
  int status = server.terminate(15s);
  std::printf("  exit status after SIGTERM: %d\n", status);
  if (status != 0)
    fail("exit status " + std::to_string(status));
}

// -- clients that stop reading -------------------------------------------------

void slow(int clients, const std::string& queue_bytes) {
  std::printf("## %d clients that stop reading, --max-queue-bytes=%s, "
              "two waves on one server\n",
              clients, queue_bytes.c_str());
  test::server_process server{{"--max-queue-bytes=" + queue_bytes}};
  auto port = server.port();
  auto pid = server.pid();
  std::printf("  idle RSS %ld KiB\n", rss_kib(pid));
  for (int wave = 1; wave <= 2; ++wave) {
    std::vector<std::unique_ptr<test::ws_client>> slow;
    for (int i = 0; i < clients; ++i) {
      auto c = connect(port);
      if (!c) {
        fail("connect");
        return;
      }
      // A task that emits 100,000 events as fast as it can; the client
      // starts it (so it is subscribed) and then reads nothing.
      c->send_text(
          R"({"type":"start","id":"s","task":"ticker","params":{"steps":100000,"interval_ms":0}})");
      slow.push_back(std::move(c));
    }
    auto normal = connect(port);
    long peak = 0;
    double worst_ping = 0;
    int pings = 0;
    auto t0 = clk::now();
    while (clk::now() - t0 < 15s) {
      peak = std::max(peak, rss_kib(pid));
      auto p0 = clk::now();
      try {
        normal->request(R"({"type":"ping","id":"p"})", "p", 10s);
        ++pings;
        worst_ping = std::max(worst_ping, secs(clk::now() - p0));
      } catch (const std::exception& e) {
        fail(std::string{"normal client: "} + e.what());
        break;
      }
      normal->clear_skipped();
      std::this_thread::sleep_for(100ms);
    }
    std::map<int, int> closes;
    for (auto& c : slow) {
      // Closed ones end at once; the rest stay open (not over the bound).
      read_to_end(*c, 2s);
      ++closes[c->is_open() ? -1 : c->close_code()];
    }
    std::printf("  wave %d: peak RSS %ld KiB (%.0f MiB); normal client %d "
                "pings, slowest %.0f ms; slow clients' end (-1 = open):",
                wave, peak, peak / 1024.0, pings, worst_ping * 1000);
    for (auto& [code, n] : closes)
      std::printf(" %d x%d", code, n);
    slow.clear();
    std::this_thread::sleep_for(2s);
    std::printf("; RSS 2 s after %ld KiB\n", rss_kib(pid));
  }
  if (!still_serving(port))
    fail("server stopped serving");
  server.kill();
}

// -- SIGTERM with running tasks and several subscribers ----------------------

void drain(int tasks, int subscribers) {
  std::printf("## SIGTERM with %d running tasks and %d subscribers\n", tasks,
              subscribers);
  test::server_process server{{"--grace-ms=3000"}};
  auto port = server.port();
  auto owner = connect(port);
  std::vector<std::string> ids;
  for (int i = 0; i < tasks; ++i) {
    // Half finish within the grace period, half are stopped by it.
    std::string params = i % 2 == 0 ? R"({"steps":20,"interval_ms":100})"
                                     : R"({"steps":100000,"interval_ms":10})";
    auto id = "s" + std::to_string(i);
    auto ok = owner->request(R"({"type":"start","id":")" + id +
                                 R"(","task":"ticker","params":)" + params + "}",
                             id);
    ids.push_back(str(ok, "task_id"));
  }
  std::vector<std::unique_ptr<test::ws_client>> subs;
  for (int s = 0; s < subscribers; ++s) {
    auto c = connect(port);
    for (auto& id : ids)
      c->request(R"({"type":"subscribe","id":"x","task_id":")" + id +
                     R"(","after":0})",
                 "x");
    subs.push_back(std::move(c));
  }
  std::this_thread::sleep_for(500ms);
  auto t0 = clk::now();
  server.signal(SIGTERM);
  // The starter is subscribed too (start subscribes); it reads and drops.
  std::thread owner_reader{[&] { read_to_end(*owner, 15s); }};
  // Read every subscriber in its own thread: they drain concurrently.
  std::vector<std::vector<std::string>> got(subs.size());
  std::vector<double> closed_at(subs.size());
  std::vector<std::thread> readers;
  for (size_t s = 0; s < subs.size(); ++s)
    readers.emplace_back([&, s] {
      for (auto& m : subs[s]->skipped())
        got[s].push_back(m);
      for (auto& m : read_to_end(*subs[s], 15s))
        got[s].push_back(m);
      closed_at[s] = secs(clk::now() - t0);
    });
  std::optional<int> status;
  while (!status && clk::now() - t0 < 15s)
    status = server.wait(5ms);
  auto took = clk::now() - t0;
  for (auto& t : readers)
    t.join();
  owner_reader.join();
  size_t events = 0, gaps = 0, no_terminal = 0, results = 0, stopped = 0;
  std::map<int, int> closes;
  for (size_t s = 0; s < subs.size(); ++s) {
    ++closes[subs[s]->close_code()];
    std::map<std::string, uint64_t> next;
    std::map<std::string, std::string> last;
    for (auto& m : got[s]) {
      auto d = parse(m);
      if (!d.IsObject() || !d.HasMember("seq") || d.HasMember("reply_to"))
        continue;
      auto id = str(d, "task_id");
      auto seq = d["seq"].GetUint64();
      auto& n = next.try_emplace(id, 1).first->second;
      if (seq != n)
        ++gaps;
      n = seq + 1;
      last[id] = test::type_of(d);
      ++events;
    }
    for (auto& id : ids) {
      auto& t = last[id];
      if (t == "result")
        ++results;
      else if (t == "stopped")
        ++stopped;
      else
        ++no_terminal;
    }
  }
  std::printf("  %zu events delivered; %zu seq gaps; task streams ending in "
              "result %zu, stopped %zu, no terminal event %zu\n",
              events, gaps, results, stopped, no_terminal);
  std::printf("  close codes:");
  for (auto& [code, n] : closes)
    std::printf(" %d x%d", code, n);
  std::printf("; last close %.2f s and exit status %d %.2f s after SIGTERM "
              "(grace 3 s)\n",
              *std::max_element(closed_at.begin(), closed_at.end()),
              status ? *status : -1, secs(took));
  if (gaps || no_terminal || !status || *status != 0)
    fail("lost events or bad exit");
}

// -- silent peers --------------------------------------------------------------

void silent(int peers) {
  std::printf("## %d silent peers (heartbeat 200 ms)\n", peers);
  test::server_process server{{"--heartbeat-ms=200"}};
  std::vector<std::unique_ptr<test::ws_client>> cs;
  for (int i = 0; i < peers; ++i)
    cs.push_back(connect(server.port()));
  auto reader = connect(server.port());
  // Not reading means not answering pings; the reader answers them.
  auto t0 = clk::now();
  while (clk::now() - t0 < 1500ms)
    reader->read_text(50ms);
  std::map<int, int> closes;
  for (auto& c : cs) {
    read_to_end(*c, 3s);
    ++closes[c->is_open() ? -1 : c->close_code()];
  }
  std::printf("  after 1.5 s silent peers ended with:");
  for (auto& [code, n] : closes)
    std::printf(" %d x%d", code, n);
  std::printf("; the reading client is %s\n",
              reader->is_open() ? "still open" : "CLOSED");
  if (closes[1011] != peers || !reader->is_open())
    fail("silent peers");
  server.kill();
}

// -- connection limit ----------------------------------------------------------

void conns(int limit, int tries) {
  std::printf("## --max-connections=%d, %d WebSocket clients\n", limit, tries);
  test::server_process server{{"--max-connections=" + std::to_string(limit)}};
  std::vector<std::unique_ptr<test::ws_client>> cs;
  std::map<int, int> statuses;
  for (int i = 0; i < tries; ++i) {
    auto c = std::make_unique<test::ws_client>();
    c->connect(server.port());
    ++statuses[c->handshake_status()];
    cs.push_back(std::move(c));
  }
  std::printf("  handshake statuses:");
  for (auto& [s, n] : statuses)
    std::printf(" %d x%d", s, n);
  cs.resize(limit / 2); // close half
  std::this_thread::sleep_for(300ms);
  int again = 0;
  for (int i = 0; i < limit / 2; ++i) {
    auto c = std::make_unique<test::ws_client>();
    again += c->connect(server.port()) ? 1 : 0;
    cs.push_back(std::move(c));
  }
  std::printf("; after closing %d, %d of %d new ones get in\n", limit / 2,
              again, limit / 2);
  if (statuses[101] != limit || again != limit / 2)
    fail("connection limit");
  server.kill();
}

// -- rate limit ----------------------------------------------------------------

void rate() {
  std::printf("## --rate-limit=100, one client sends 3000 pings at once\n");
  test::server_process server{{"--rate-limit=100"}};
  auto flood = connect(server.port());
  auto t0 = clk::now();
  for (int i = 0; i < 3000; ++i)
    flood->send_text(R"({"type":"ping"})");
  std::map<std::string, int> got;
  for (int i = 0; i < 3000; ++i) {
    auto m = flood->read_text(5s);
    if (!m)
      break;
    auto d = parse(*m);
    auto t = test::type_of(d);
    if (t == "heartbeat") {
      --i;
      continue;
    }
    ++got[t == "error" ? str(d, "code") : t];
  }
  auto took = clk::now() - t0;
  auto other = connect(server.port());
  bool other_ok = other && test::type_of(other->request(
                               R"({"type":"ping","id":"o"})", "o")) == "pong";
  std::this_thread::sleep_for(1s);
  bool flood_ok = test::type_of(flood->request(
                      R"({"type":"ping","id":"p"})", "p")) == "pong";
  std::printf("  in %.2f s:", secs(took));
  for (auto& [t, n] : got)
    std::printf(" %s=%d", t.c_str(), n);
  std::printf("; flooder still connected and served a second later: %s; "
              "another client served: %s\n",
              flood_ok ? "yes" : "NO", other_ok ? "yes" : "NO");
  if (!flood_ok || !other_ok || got["pong"] + got["rate_limited"] != 3000)
    fail("rate limit");
  server.kill();
}

// -- tokens and origins --------------------------------------------------------

void auth(int n) {
  std::printf("## --tokens=alpha,beta --allowed-origins=http://ok.example, "
              "%d requests of each kind\n",
              n);
  test::server_process server{
      {"--tokens=alpha,beta", "--allowed-origins=http://ok.example"}};
  auto port = server.port();
  using hl = test::header_list;
  struct probe {
    const char* what;
    std::string target;
    hl headers;
  };
  std::vector<probe> probes = {
      {"no token", "/api/tasks", {}},
      {"wrong token", "/api/tasks", {{"Authorization", "Bearer alphx"}}},
      {"token prefix", "/api/tasks", {{"Authorization", "Bearer alph"}}},
      {"wrong query token", "/api/tasks?access_token=gamma", {}},
      {"good token", "/api/tasks", {{"Authorization", "Bearer alpha"}}},
      {"good query token", "/api/tasks?access_token=beta", {}},
      {"foreign origin",
       "/api/tasks",
       {{"Authorization", "Bearer alpha"}, {"Origin", "http://evil.example"}}},
      {"allowed origin",
       "/api/tasks",
       {{"Authorization", "Bearer alpha"}, {"Origin", "http://ok.example"}}},
  };
  test::http_client http;
  http.connect(port);
  for (auto& p : probes) {
    std::map<int, int> st;
    for (int i = 0; i < n; ++i) {
      if (!http.is_open())
        http.connect(port);
      ++st[http.request("GET", p.target, {}, p.headers).status];
    }
    std::printf("  %-18s", p.what);
    for (auto& [s, k] : st)
      std::printf(" %d x%d", s, k);
    std::printf("\n");
  }
  std::map<int, int> ws;
  for (int i = 0; i < n / 10; ++i) {
    test::ws_client c;
    c.connect(port, "/ws", i % 2 ? hl{{"Sec-WebSocket-Protocol", "bearer.nope"}}
                                 : hl{{"Origin", "http://evil.example"},
                                      {"Authorization", "Bearer alpha"}});
    read_to_end(c, 2s);
    ++ws[c.is_open() ? -1 : c.close_code()];
  }
  std::printf("  WebSocket upgrades with a bad token or foreign origin, "
              "close codes:");
  for (auto& [s, k] : ws)
    std::printf(" %d x%d", s, k);
  // Another token's task.
  auto a = connect(port, {{"Authorization", "Bearer alpha"}});
  auto b = connect(port, {{"Authorization", "Bearer beta"}});
  auto ok = a->request(
      R"({"type":"start","id":"s","task":"ticker","params":{"steps":1000,"interval_ms":100}})",
      "s");
  auto id = str(ok, "task_id");
  std::map<std::string, int> other;
  for (auto* t : {"subscribe", "stop", "unsubscribe"}) {
    auto r = b->request(std::string{R"({"type":")"} + t +
                            R"(","id":"o","task_id":")" + id + R"("})",
                        "o");
    ++other[std::string{t} + "=" + str(r, "code")];
  }
  auto get = test::request(port, "GET", "/api/tasks/" + id, {},
                           {{"Authorization", "Bearer beta"}});
  std::printf("\n  token beta on token alpha's task:");
  for (auto& [k, v] : other)
    std::printf(" %s", k.c_str());
  std::printf(" GET=%d\n", get.status);
  server.kill();
}

} // namespace

int main(int argc, char** argv) {
  std::set<std::string> only;
  size_t frames = 100000;
  int slow_clients = 50;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--only=", 0) == 0) {
      std::stringstream ss{a.substr(7)};
      std::string item;
      while (std::getline(ss, item, ','))
        only.insert(item);
    } else if (a.rfind("--frames=", 0) == 0) {
      frames = std::stoul(a.substr(9));
    } else if (a.rfind("--slow-clients=", 0) == 0) {
      slow_clients = std::stoi(a.substr(15));
    } else {
      std::fprintf(stderr,
                   "usage: abuse [--only=malformed,slow,drain,silent,conns,"
                   "rate,auth] [--frames=N] [--slow-clients=K]\n");
      return 2;
    }
  }
  auto want = [&](const char* s) { return only.empty() || only.count(s); };
  std::signal(SIGPIPE, SIG_IGN);
  auto run = [&](const char* name, auto f) {
    if (!want(name))
      return;
    try {
      f();
    } catch (const std::exception& e) {
      fail(std::string{name} + ": " + e.what());
    }
    std::fflush(stdout);
  };
  run("malformed", [&] { malformed(frames); });
  run("slow", [&] {
    slow(slow_clients, "4194304");
    slow(slow_clients, "1048576");
  });
  run("drain", [&] { drain(20, 4); });
  run("silent", [&] { silent(20); });
  run("conns", [&] { conns(50, 60); });
  run("rate", [&] { rate(); });
  run("auth", [&] { auth(1000); });
  return failed ? 1 : 0;
}
