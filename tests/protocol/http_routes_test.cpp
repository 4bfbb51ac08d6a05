// The HTTP API's one route table: what each request names, what it decodes
// into, and what a wrong method or path is told.
#include <catch2/catch.hpp>

#include "protocol/http_routes.hpp"

using namespace switchboard::protocol;

TEST_CASE("every route matches its own method and path", "[protocol][http]") {
  for (auto& r : http_routes) {
    std::string path{r.pattern};
    for (auto [hole, value] :
         {std::pair{"{task_id}", "t-1"}, std::pair{"{tool}", "fs.hash"}})
      if (auto i = path.find(hole); i != std::string::npos)
        path.replace(i, std::string_view{hole}.size(), value);
    auto m = match_route(r.method, path);
    INFO(r.method << " " << path);
    REQUIRE(m.route == &r);
    CHECK(m.op == r.op);
    if (r.pattern.find("{task_id}") != std::string_view::npos)
      CHECK(m.task_id == "t-1");
    if (r.pattern.find("{tool}") != std::string_view::npos)
      CHECK(m.tool == "fs.hash");
    // A route that runs a command carries the command of its operation.
    if (r.command)
      CHECK(to_string(*r.command) == to_string(r.op));
  }
}

TEST_CASE("the route table names what a request asks for", "[protocol][http]") {
  CHECK(match_route("POST", "/api/tasks").op == http_operation::start);
  CHECK(match_route("GET", "/api/tasks").op == http_operation::list_tasks);
  CHECK(match_route("GET", "/api/tasks/x/events").op == http_operation::events);
  CHECK(match_route("HEAD", "/readyz").op == http_operation::health);
  auto input = match_route("POST", "/api/tasks/t-9/input");
  REQUIRE(input.route);
  CHECK(input.route->command == command_type::input);
  CHECK(input.task_id == "t-9");
}

TEST_CASE("a wrong method is told what the path allows", "[protocol][http]") {
  auto tasks = match_route("DELETE", "/api/tasks");
  CHECK(tasks.route == nullptr);
  CHECK(tasks.allow == "GET, POST");
  CHECK(tasks.op == http_operation::list_tasks);
  auto call = match_route("GET", "/api/tools/x/call");
  CHECK(call.route == nullptr);
  CHECK(call.allow == "POST");
  CHECK(match_route("POST", "/metrics").allow == "GET, HEAD");
}

TEST_CASE("paths outside the table match nothing", "[protocol][http]") {
  for (auto path : {"/api/nothing", "/api/tasks/", "/api/tasks//stop",
                    "/api/tasks/x/y/z", "/api/tools//call", "", "api/tasks",
                    "/api/tasks/x/unknown", "/metrics/"}) {
    INFO(path);
    auto m = match_route("GET", path);
    CHECK(m.route == nullptr);
    CHECK(m.allow.empty());
    CHECK(m.op == http_operation::other);
  }
}
