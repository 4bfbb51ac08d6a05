#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace switchboard::actors {

/// Process-wide state that every entry point reads without a message hop.
struct server_status {
  /// Set once the server drains: new connections, tasks and client tool
  /// calls are refused with `shutting_down`, `/readyz` answers 503.
  std::atomic<bool> draining{false};
  /// The grace period announced to clients, in ms.
  std::atomic<int64_t> grace_ms{0};
  /// Cleared while the task history cannot be written: `/readyz` answers
  /// 503 until a write succeeds again.
  std::atomic<bool> storage_ok{true};
  /// This node's name (set before the server starts, then constant, as
  /// are the fields below).
  std::string node = "local";
  /// "switchboard/<version>".
  std::string server;
  /// Where finished tasks are kept: "sqlite" or "memory".
  std::string history = "memory";
  /// How long finished tasks are kept after they end, in ms.
  int64_t retention_ms = 0;
  /// The most finished tasks the history keeps (none in memory, where
  /// the bytes their logs pin decide).
  std::optional<uint64_t> max_tasks_kept;

  /// Sets the cluster's members as a JSON array (empty: not clustered).
  void set_nodes(std::string json) {
    std::lock_guard<std::mutex> guard{nodes_mtx_};
    nodes_ = std::move(json);
  }

  /// Returns the cluster's members as a JSON array, or empty when the node
  /// is not clustered.
  std::string nodes() const {
    std::lock_guard<std::mutex> guard{nodes_mtx_};
    return nodes_;
  }

 private:
  mutable std::mutex nodes_mtx_;
  std::string nodes_;
};

} // namespace switchboard::actors
