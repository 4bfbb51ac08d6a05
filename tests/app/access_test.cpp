// The access policy: Host names (DNS rebinding), origins and tokens.
#include <catch2/catch.hpp>

#include "app/access.hpp"

using namespace switchboard;
using protocol::error_code;

namespace {

transport::http_request
request(std::vector<std::pair<std::string, std::string>> headers) {
  transport::http_request req;
  req.method = "GET";
  req.path = "/api/tools";
  for (auto& [name, value] : headers)
    req.headers.emplace(name, value);
  return req;
}

} // namespace

TEST_CASE("loopback is parsed, not guessed from a prefix", "[access]") {
  for (auto h : {"localhost", "LocalHost", "a.localhost", "127.0.0.1",
                 "127.255.0.9", "::1", "::ffff:127.0.0.1"})
    CHECK(app::is_loopback(h));
  for (auto h : {"127.evil.example", "127.0.0.1.evil", "localhost.evil",
                 "0x7f000001", "128.0.0.1", "::2", "evil", ""})
    CHECK_FALSE(app::is_loopback(h));
}

TEST_CASE("Host names the server answers to", "[access]") {
  app::access_policy p{{{}, {}, {"ui.example", "*.corp.example"}, "127.0.0.1"}};
  auto host = [&](const std::string& h) {
    return p.host_allowed(request({{"host", h}}));
  };
  CHECK(host("127.0.0.1:8080"));
  CHECK(host("localhost"));
  CHECK(host("[::1]:8080"));
  CHECK(host("ui.example:1"));
  CHECK(host("x.corp.example"));
  CHECK_FALSE(host("corp.example"));
  CHECK_FALSE(host("rebind.example:8080"));
  CHECK_FALSE(host("127.0.0.1:notaport"));
  CHECK_FALSE(host("[::1"));
  CHECK_FALSE(host("10.0.0.1"));
  CHECK(p.host_allowed(request({})));
  // A wildcard bind answers to any literal address, never to a name.
  app::access_policy any{{{"t"}, {}, {}, "0.0.0.0"}};
  CHECK(any.host_allowed(request({{"host", "10.0.0.1:8080"}})));
  CHECK(any.host_allowed(request({{"host", "[fe80::1]:8080"}})));
  CHECK_FALSE(any.host_allowed(request({{"host", "evil.example"}})));
}

TEST_CASE("origins compare scheme, host and port", "[access]") {
  app::access_policy p{{{}, {"https://ui.example"}, {}, "127.0.0.1"}};
  auto origin = [&](const std::string& o) {
    auto r = p.check(request({{"host", "127.0.0.1:8080"}, {"origin", o}}));
    return std::holds_alternative<std::string>(r);
  };
  CHECK(origin("http://127.0.0.1:8080"));
  CHECK(origin("HTTP://127.0.0.1:8080"));
  CHECK(origin("https://ui.example"));
  CHECK(origin("https://ui.example:443"));
  CHECK_FALSE(origin("evil://127.0.0.1:8080"));
  CHECK_FALSE(origin("https://127.0.0.1:8080"));
  CHECK_FALSE(origin("http://127.0.0.1:8081"));
  CHECK_FALSE(origin("http://127.0.0.1"));
  CHECK_FALSE(origin("http://ui.example"));
  CHECK_FALSE(origin("null"));
  CHECK_FALSE(origin("http://127.0.0.1:8080/path"));
}

TEST_CASE("tokens name their principal", "[access]") {
  app::access_policy p{{{"alpha-token-0123456", "beta-token-0123456"}}};
  auto who = [&](std::vector<std::pair<std::string, std::string>> h) {
    return p.check(request(std::move(h)));
  };
  CHECK(std::get<std::string>(who(
            {{"authorization", "Bearer beta-token-0123456"}})) == "token-2");
  CHECK(std::get<error_code>(who({})) == error_code::unauthorized);
  CHECK(std::get<error_code>(who({{"authorization", "Bearer nope"}})) ==
        error_code::unauthorized);
}
