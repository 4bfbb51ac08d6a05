// switchboard-cli through a TCP proxy that drops its connections: the
// watch reconnects and resumes by seq, printing every event exactly once.
#include <catch2/catch.hpp>

#include <numeric>

#include "tests/cli/cli_fixture.hpp"
#include "tests/cli/tcp_proxy.hpp"

using namespace switchboard;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

std::string via(const test::tcp_proxy& proxy) {
  return "http://127.0.0.1:" + std::to_string(proxy.port());
}

// Reads `n` lines of `p` into `lines`.
void read_lines(test::cli_process& p, int n, std::vector<std::string>& lines) {
  for (int i = 0; i < n; ++i) {
    auto line = p.read_line(10s);
    REQUIRE(line);
    lines.push_back(*line);
  }
}

// Checks that `seqs` is 1..n, each once.
void check_one_to_n(const std::vector<int64_t>& seqs, int64_t n) {
  std::vector<int64_t> expected(static_cast<size_t>(n));
  std::iota(expected.begin(), expected.end(), 1);
  CHECK(seqs == expected);
}

} // namespace

TEST_CASE("watch resumes by seq after the proxy cuts the connection",
          "[cli][reconnect]") {
  test::cli_fixture f;
  test::tcp_proxy proxy{f.server.port()};
  auto id = f.detach({"ticker", "steps=60", "interval_ms=25"});
  test::cli_process watch{
      {"--server", via(proxy), "--json", "--reconnect-for", "10", "watch", id}};
  std::vector<std::string> lines;
  read_lines(watch, 6, lines);
  CHECK(proxy.cut() == 1);
  read_lines(watch, 6, lines);
  CHECK(proxy.cut() == 1);
  auto end = watch.wait(30s);
  INFO(end.err);
  REQUIRE(end.exit_code == 0);
  for (auto& l : end.lines())
    lines.push_back(l);
  // started, 60 progress, result.
  check_one_to_n(test::event_seqs(lines, id), 62);
  auto last = test::parse_json_line(lines.back());
  CHECK(std::string{last["type"].GetString()} == "result");
  CHECK(proxy.accepted() == 3);
  CHECK_THAT(end.err, Contains("reconnecting in 200 ms"));
  CHECK_THAT(end.err, Contains("reconnected; resuming after #"));
}

TEST_CASE("start without --detach resumes after a cut as well",
          "[cli][reconnect]") {
  test::cli_fixture f;
  test::tcp_proxy proxy{f.server.port()};
  test::cli_process start{{"--server", via(proxy), "--json", "start", "ticker",
                           "steps=40", "interval_ms=25"}};
  std::vector<std::string> lines;
  read_lines(start, 4, lines);
  auto reply = test::parse_json_line(lines.front());
  REQUIRE(std::string{reply["type"].GetString()} == "start_success");
  std::string id = reply["task_id"].GetString();
  CHECK(proxy.cut() == 1);
  auto end = start.wait(30s);
  INFO(end.err);
  REQUIRE(end.exit_code == 0);
  for (auto& l : end.lines())
    lines.push_back(l);
  check_one_to_n(test::event_seqs(lines, id), 42);
}

TEST_CASE("a server gone for good is given up with the resume command",
          "[cli][reconnect]") {
  test::cli_fixture f;
  test::tcp_proxy proxy{f.server.port()};
  auto id = f.detach({"ticker", "steps=10000", "interval_ms=20"});
  test::cli_process watch{
      {"--server", via(proxy), "--json", "--reconnect-for", "2", "watch", id}};
  std::vector<std::string> lines;
  read_lines(watch, 4, lines);
  f.server.kill();
  proxy.cut();
  auto started = std::chrono::steady_clock::now();
  auto end = watch.wait(20s);
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(end.exit_code == 4);
  CHECK(took >= 1s);
  CHECK(took < 10s);
  for (auto& l : end.lines())
    lines.push_back(l);
  auto seqs = test::event_seqs(lines, id);
  REQUIRE_FALSE(seqs.empty());
  check_one_to_n(seqs, static_cast<int64_t>(seqs.size()));
  CHECK_THAT(end.err, Contains("gave up reconnecting after 2 s"));
  CHECK_THAT(end.err, Contains("resume with: switchboard-cli watch " + id +
                               " --after " + std::to_string(seqs.back())));
}
