#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "protocol/json.hpp"
#include "tests/cli/cli_process.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/support/server_process.hpp"

namespace switchboard::test {

/// The real server on port 0 over a fixture workspace, and the CLI run
/// against it.
struct cli_fixture {
  /// The workspace.
  fixture_tree tree;
  /// The server, started with `--workspace` and the extra arguments.
  server_process server;

  /// Starts the server with `extra` arguments.
  explicit cli_fixture(std::vector<std::string> extra = {})
      : server(with_workspace(tree, std::move(extra))) {}

  /// The server's URL.
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server.port());
  }

  /// Runs the CLI against this server to its end.
  cli_result run(std::vector<std::string> args, env_list env = {}) {
    args.insert(args.begin(), {"--server", url()});
    auto r = run_cli(args, std::move(env));
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    return r;
  }

  /// Starts the CLI against this server in the background.
  std::unique_ptr<cli_process> spawn(std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", url()});
    return std::make_unique<cli_process>(args);
  }

  /// Starts `start --detach ARGS`; returns the task id.
  std::string detach(std::vector<std::string> args) {
    args.insert(args.begin(), {"start", "--detach"});
    auto r = run(args);
    REQUIRE(r.exit_code == 0);
    auto lines = r.lines();
    REQUIRE(lines.size() == 1);
    REQUIRE(lines[0].rfind("t-", 0) == 0);
    return lines[0];
  }

 private:
  static std::vector<std::string>
  with_workspace(const fixture_tree& tree, std::vector<std::string> extra) {
    extra.push_back("--workspace=" + tree.root().string());
    return extra;
  }
};

/// `line` parsed as a JSON object with a `type` (a failed REQUIRE if not).
inline rapidjson::Document parse_json_line(const std::string& line) {
  rapidjson::Document doc;
  INFO(line);
  REQUIRE(protocol::parse_json(line, doc).code == protocol::error_code::none);
  REQUIRE(doc.IsObject());
  REQUIRE(doc.HasMember("type"));
  return doc;
}

/// The seqs of the events of `task_id` among `--json` lines, in order.
inline std::vector<int64_t> event_seqs(const std::vector<std::string>& lines,
                                       const std::string& task_id) {
  std::vector<int64_t> seqs;
  for (auto& line : lines) {
    auto d = parse_json_line(line);
    if (d.HasMember("reply_to") || !d.HasMember("seq") ||
        !d.HasMember("task_id") || !d["task_id"].IsString() ||
        task_id != d["task_id"].GetString())
      continue;
    seqs.push_back(d["seq"].GetInt64());
  }
  return seqs;
}

} // namespace switchboard::test
