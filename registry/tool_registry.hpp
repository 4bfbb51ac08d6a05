#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/typed_response_promise.hpp>

#include "actors/interfaces.hpp"
#include "metrics/registry.hpp"
#include "protocol/schema.hpp"
#include "tools/tool.hpp"

namespace switchboard::tools {
class workspace;
class worker_pool;
} // namespace switchboard::tools

namespace switchboard::registry {

/// What the registry needs to run local tools.
struct registry_setup {
  /// The tools of this node.
  std::vector<tools::tool> tools;
  /// The node's name, reported with each tool.
  std::string node;
  /// The workspace handed to every tool.
  std::shared_ptr<const tools::workspace> workspace;
  /// Where blocking tools run.
  std::shared_ptr<tools::worker_pool> pool;
  /// Where calls are counted (null: nowhere).
  metrics::registry_ptr metrics;
  /// How long a call may run on its worker before it stops with
  /// `tool_timeout`.
  std::chrono::milliseconds call_timeout{60 * 1000};
  /// Most file bytes one call may read.
  uint64_t max_call_bytes = tools::default_max_call_bytes;
  /// Largest result (JSON bytes) a call may return; larger ones fail with
  /// `tool_failed`.
  size_t max_result_bytes = 16 * 1024 * 1024;
  /// Called with the whole catalog after the other nodes' tools changed.
  std::function<void(const std::vector<protocol::tool_info>&)> changed;
};

/// State of the tool registry actor.
struct tool_registry_state {
  /// A registered tool with its compiled schema.
  struct entry {
    tools::tool def;
    protocol::schema schema;
  };

  /// A call waiting for its worker.
  struct pending_call {
    std::pair<std::string, std::string> key;
    caf::typed_response_promise<std::string> promise;
    metrics::tool_metrics* counted = nullptr;
    std::chrono::steady_clock::time_point started;
    std::shared_ptr<tools::cancel_token> token;
  };

  /// A tool of another node, listed and called as NODE/TOOL.
  struct remote_entry {
    protocol::tool_info info;
    std::string tool;
    actors::remote_tools_actor handle;
  };

  /// A call sent to another node, failed with `node_lost` if the node
  /// leaves first (a request to a dead node only times out).
  struct remote_call {
    std::string node;
    std::pair<std::string, std::string> key;
    caf::typed_response_promise<std::string> promise;
  };

  registry_setup setup;
  std::map<std::string, entry> tools;
  std::map<std::string, remote_entry> remote;
  std::map<uint64_t, remote_call> remote_calls;
  std::set<std::pair<std::string, std::string>> in_flight;
  std::map<uint64_t, pending_call> pending;
  uint64_t next_job = 1;

  static inline const char* name = "tool_registry";
};

/// Spawn function of the registry: validates args against each tool's
/// schema, refuses a call id still in flight for the same caller, runs
/// blocking tools on the worker pool (keyed by caller, so one caller cannot
/// take every worker) with a cancellation token that carries the call's
/// deadline and byte budget, and answers by message.
actors::tool_registry_actor::behavior_type tool_registry(
    actors::tool_registry_actor::stateful_pointer<tool_registry_state> self,
    registry_setup setup);

} // namespace switchboard::registry
