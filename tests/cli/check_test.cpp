// switchboard-cli check: the smoke test passes against a healthy server
// and names the failing step against a misconfigured one.
#include <catch2/catch.hpp>

#include "tests/cli/cli_fixture.hpp"

using namespace switchboard;
using Catch::Matchers::Contains;

namespace {

const std::vector<std::string> steps{"hello",
                                     "ping",
                                     "list_tools",
                                     "call_tool fs.list",
                                     "audit (WebSocket)",
                                     "triage (answered)",
                                     "ticker stopped",
                                     "audit (SSE, resumed)",
                                     "GET /healthz",
                                     "GET /readyz",
                                     "GET /metrics"};

} // namespace

TEST_CASE("check passes against a healthy server", "[cli][check]") {
  test::cli_fixture f;
  auto r = f.run({"check"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  for (auto& s : steps)
    CHECK_THAT(r.out, Contains("ok      " + s));
  CHECK_THAT(r.out, Contains("5 questions answered"));
  CHECK_THAT(r.out, Contains("resumed after #3"));
  CHECK_THAT(r.out, Contains("all 11 steps passed"));
  CHECK(r.out.find("FAILED") == std::string::npos);

  auto json = f.run({"--json", "check"});
  REQUIRE(json.exit_code == 0);
  auto lines = json.lines();
  REQUIRE(lines.size() == steps.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    auto d = test::parse_json_line(lines[i]);
    CHECK(std::string{d["type"].GetString()} == "check");
    CHECK(std::string{d["step"].GetString()} == steps[i]);
    CHECK(d["ok"].GetBool());
    CHECK(d["ms"].IsInt64());
  }
}

TEST_CASE("check fails on a server that wants a token and names the step",
          "[cli][check]") {
  test::cli_fixture f{{"--tokens=sesame"}};
  auto r = f.run({"check"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Contains("FAILED  hello"));
  CHECK_THAT(r.out, Contains("unauthorized"));
  CHECK_THAT(r.out, Contains("steps failed: hello, ping"));

  auto with = f.run({"--token", "sesame", "check"});
  INFO(with.out << with.err);
  CHECK(with.exit_code == 0);
  CHECK_THAT(with.out, Contains("all 11 steps passed"));
}
