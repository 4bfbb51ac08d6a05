// switchboard-cli on a terminal (a pseudo-terminal the test types into):
// the live progress line and input requests asked in place; and
// `--answers FILE` answering without a terminal.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/cli/cli_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace switchboard;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

// The counts of a finished triage's result.
rapidjson::Document triage_result(test::cli_fixture& f, const std::string& id) {
  auto events = f.run({"--json", "events", id});
  REQUIRE(events.exit_code == 0);
  auto last = test::parse_json_line(events.lines().back());
  REQUIRE(std::string{last["type"].GetString()} == "result");
  return last;
}

} // namespace

TEST_CASE("on a terminal, start draws a live progress line", "[cli][tty]") {
  test::cli_fixture f;
  auto r = test::run_cli_on_tty(
      {"--server", f.url(), "start", "ticker", "steps=5", "interval_ms=60"});
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  // Redrawn in place, a bar with step/total, rate, elapsed and ETA.
  CHECK_THAT(r.out, Contains("\r\x1b[K[####"));
  CHECK_THAT(r.out, Contains("] 5/5  "));
  CHECK_THAT(r.out, Contains("/s  elapsed 0:0"));
  CHECK_THAT(r.out, Contains("ETA 0:0"));
  // Progress events are the line, not lines of their own.
  CHECK(r.out.find("#2 progress") == std::string::npos);
  CHECK_THAT(r.out, Contains("#1 started ticker"));
  CHECK_THAT(r.out, Contains("\x1b[32m#7 completed"));

  // NO_COLOR asks for plain lines.
  auto plain = test::run_cli_on_tty(
      {"--server", f.url(), "start", "ticker", "steps=2", "interval_ms=0"},
      {{"NO_COLOR", "1"}});
  REQUIRE(plain.exit_code == 0);
  CHECK_THAT(plain.out, Contains("#2 progress 1/2"));
  CHECK(plain.out.find('\x1b') == std::string::npos);
}

TEST_CASE("on a terminal, watch asks input requests in place", "[cli][tty]") {
  test::cli_fixture f;
  auto id = f.detach(
      {"triage", "min_severity=high", "large_file_bytes=1024", "path=."});
  test::cli_process p{{"--server", f.url(), "watch", id}, {}, true};
  // The first question: numbered choices; a wrong number, a wrong word,
  // then a value typed out.
  REQUIRE(p.wait_for("1) fix", 20s));
  REQUIRE(p.wait_for("2) accept", 5s));
  REQUIRE(p.wait_for("3) false_positive", 5s));
  REQUIRE(p.wait_for("choice [1-3]: ", 5s));
  p.write("9\n");
  REQUIRE(p.wait_for("pick a number from 1 to 3", 5s));
  REQUIRE(p.wait_for("choice [1-3]: ", 5s));
  p.write("maybe\n");
  REQUIRE(p.wait_for("expected one of fix, accept, false_positive", 5s));
  REQUIRE(p.wait_for("choice [1-3]: ", 5s));
  p.write("fix\n");
  // The second question, answered by number.
  REQUIRE(p.wait_for("input_received", 10s));
  REQUIRE(p.wait_for("choice [1-3]: ", 20s));
  p.write("2\n");
  auto end = p.wait(20s);
  INFO(end.out);
  REQUIRE(end.exit_code == 0);
  CHECK_THAT(end.out, Contains("completed"));

  auto result = triage_result(f, id);
  CHECK(result["data"]["counts"]["fix"].GetInt() == 1);
  CHECK(result["data"]["counts"]["accept"].GetInt() == 1);
}

TEST_CASE(
    "an answers file (--answers) answers input requests without a terminal",
    "[cli][answers]") {
  test::cli_fixture f;
  test::temp_dir dir{"answers"};
  auto file = (dir.path() / "answers.json").string();
  {
    std::ofstream out{file};
    out << R"({"finding.rule=private_key":"false_positive","*":"accept"})";
  }
  auto r = f.run({"--json", "start", "triage", "min_severity=high",
                  "large_file_bytes=1024", "path=.", "--answers", file});
  REQUIRE(r.exit_code == 0);
  auto lines = r.lines();
  std::string id = test::parse_json_line(lines.at(0))["task_id"].GetString();
  int successes = 0;
  for (auto& l : lines)
    if (std::string{test::parse_json_line(l)["type"].GetString()} ==
        "input_success")
      ++successes;
  CHECK(successes == 2);
  auto result = triage_result(f, id);
  CHECK(result["data"]["counts"]["false_positive"].GetInt() == 1);
  CHECK(result["data"]["counts"]["accept"].GetInt() == 1);

  // The policy "first": the first choice of every request.
  {
    std::ofstream out{file};
    out << R"({"*":"first"})";
  }
  auto started = f.detach(
      {"triage", "min_severity=high", "large_file_bytes=1024", "path=."});
  auto w = f.run({"watch", started, "--answers", file});
  REQUIRE(w.exit_code == 0);
  CHECK_THAT(w.err, Contains("answered r-1: \"fix\""));
  CHECK(triage_result(f, started)["data"]["counts"]["fix"].GetInt() == 2);

  // A file that is not a JSON object is a usage error before anything runs.
  {
    std::ofstream out{file};
    out << "[1,2]";
  }
  auto bad = f.run({"start", "ticker", "--answers", file});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("--answers " + file + ": not a JSON object"));
  CHECK(
      f.run({"watch", started, "--answers", "/nonexistent/x.json"}).exit_code ==
      2);
}
