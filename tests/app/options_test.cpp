// Options that would weaken the server silently are refused or warned of.
#include <catch2/catch.hpp>

#include "app/options.hpp"

using namespace switchboard;

namespace {

std::variant<app::options, std::string> parse(std::vector<std::string> args) {
  std::vector<char*> argv{const_cast<char*>("switchboard")};
  for (auto& a : args)
    argv.push_back(a.data());
  return app::parse_options(static_cast<int>(argv.size()), argv.data(), "/");
}

} // namespace

TEST_CASE("empty and blank tokens are refused", "[options][auth]") {
  for (auto arg : {"--tokens=", "--tokens=,", "--tokens=,abcdefghijklmnopq",
                   "--tokens=abcdefghijklmnopq,",
                   "--tokens= ", "--tokens=abcdefgh ijklmnopq"}) {
    INFO(arg);
    auto r = parse({arg});
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r).rfind("option tokens: token", 0) == 0);
  }
}

TEST_CASE("short tokens are accepted with a warning", "[options][auth]") {
  auto r = parse({"--tokens=short,abcdefghijklmnopq"});
  REQUIRE(std::holds_alternative<app::options>(r));
  auto& o = std::get<app::options>(r);
  CHECK(o.tokens == std::vector<std::string>{"short", "abcdefghijklmnopq"});
  REQUIRE(o.warnings.size() == 1);
  CHECK(o.warnings[0].find("token 1 is shorter than 16 bytes") !=
        std::string::npos);
  auto long_only = parse({"--tokens=abcdefghijklmnopq"});
  CHECK(std::get<app::options>(long_only).warnings.empty());
}

TEST_CASE("allowed hosts and the retained-bytes budget parse",
          "[options][security]") {
  auto r = parse(
      {"--allowed-hosts=a.example,*.b.example", "--max-retained-bytes=1000"});
  REQUIRE(std::holds_alternative<app::options>(r));
  auto& o = std::get<app::options>(r);
  CHECK(o.allowed_hosts ==
        std::vector<std::string>{"a.example", "*.b.example"});
  CHECK(o.max_retained_bytes == 1000);
}
