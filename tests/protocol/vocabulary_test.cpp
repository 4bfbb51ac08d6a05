// The protocol's vocabulary has one home in C++ (protocol/command.hpp,
// message_type.hpp, event_type.hpp, task_status.hpp, error_code.hpp); the web
// UI's copy in web/src/protocol.ts must name exactly the same things.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "protocol/command.hpp"
#include "protocol/error_code.hpp"
#include "protocol/event_type.hpp"
#include "protocol/message_type.hpp"
#include "protocol/task_status.hpp"

using namespace switchboard::protocol;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The quoted names between `start` and the next `end` marker of `text`.
std::set<std::string> quoted_between(const std::string& text,
                                     const std::string& start,
                                     const std::string& end) {
  auto from = text.find(start);
  REQUIRE(from != std::string::npos);
  auto to = text.find(end, from + start.size());
  REQUIRE(to != std::string::npos);
  auto part = text.substr(from, to - from);
  std::set<std::string> out;
  std::regex quoted{"'([a-z_]+)'"};
  for (std::sregex_iterator i{part.begin(), part.end(), quoted}, e; i != e; ++i)
    out.insert((*i)[1].str());
  return out;
}

} // namespace

TEST_CASE("event types and task states round-trip through their names",
          "[protocol][vocabulary]") {
  for (auto x : all_event_types) {
    CHECK(event_type_from_string(to_string(x)) == x);
    CHECK(is_terminal(x) ==
          (x == event_type::result || x == event_type::error ||
           x == event_type::stopped));
  }
  for (auto x : all_task_statuses)
    CHECK(task_status_from_string(to_string(x)) == x);
  CHECK_FALSE(event_type_from_string("nope").has_value());
  CHECK_FALSE(task_status_from_string("nope").has_value());
}

TEST_CASE("the web UI names the same event types and task states",
          "[protocol][vocabulary][web]") {
  auto ts =
      read_file(std::string{SWITCHBOARD_SOURCE_DIR} + "/web/src/protocol.ts");
  std::set<std::string> events, states;
  for (auto x : all_event_types)
    events.emplace(to_string(x));
  for (auto x : all_task_statuses)
    states.emplace(to_string(x));
  CHECK(quoted_between(ts, "TASK_EVENT_TYPES = [", "]") == events);
  CHECK(quoted_between(ts, "type TaskStateName =", "export") == states);
}

TEST_CASE("the web UI names the same messages, error codes and close codes",
          "[protocol][vocabulary][web]") {
  auto ts =
      read_file(std::string{SWITCHBOARD_SOURCE_DIR} + "/web/src/protocol.ts");
  std::set<std::string> commands, messages, codes, closes;
  for (auto x : all_command_types) {
    commands.emplace(to_string(x));
    CHECK(command_type_from_string(to_string(x)) == x);
  }
  for (auto x : all_message_types)
    messages.emplace(to_string(x));
  for (size_t i = 1; i < error_code_count; ++i) {
    auto x = static_cast<error_code>(i);
    codes.emplace(to_string(x));
    CHECK(error_code_from_string(to_string(x)) == x);
  }
  CHECK(quoted_between(ts, "CLIENT_MESSAGE_TYPES = [", "]") == commands);
  CHECK(quoted_between(ts, "SERVER_MESSAGE_TYPES = [", "]") == messages);
  CHECK(quoted_between(ts, "ERROR_CODES = [", "]") == codes);
  auto from = ts.find("CLOSE_CODES = {");
  REQUIRE(from != std::string::npos);
  auto part = ts.substr(from, ts.find('}', from) - from);
  std::set<std::string> ts_closes;
  std::regex entry{"([a-z_]+): ([0-9]+)"};
  for (std::sregex_iterator i{part.begin(), part.end(), entry}, e; i != e; ++i)
    ts_closes.insert((*i)[1].str() + "=" + (*i)[2].str());
  for (auto x : all_close_codes)
    closes.insert(std::string{to_string(x)} + "=" + std::to_string(to_uint(x)));
  CHECK(ts_closes == closes);
}
