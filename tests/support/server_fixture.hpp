#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/fixture_tree.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/ws_client.hpp"

namespace switchboard::test {

/// The server binary on port 0 over a fresh fixture tree (`--workspace` is
/// added to `extra`).
struct server_fixture {
  /// The workspace.
  fixture_tree tree;
  /// The running server.
  server_process server;

  /// Starts the server with `extra` options.
  explicit server_fixture(std::vector<std::string> extra = {})
      : server(with_workspace(tree, std::move(extra))) {}

  /// Connects a WebSocket with `headers` and consumes the `hello`.
  std::unique_ptr<ws_client> connect(header_list headers = {}) {
    auto c = std::make_unique<ws_client>();
    REQUIRE(c->connect(server.port(), "/ws", std::move(headers)));
    REQUIRE(type_of(c->read_json()) == "hello");
    return c;
  }

 private:
  static std::vector<std::string>
  with_workspace(const fixture_tree& tree, std::vector<std::string> extra) {
    extra.push_back("--workspace=" + tree.root().string());
    return extra;
  }
};

} // namespace switchboard::test
