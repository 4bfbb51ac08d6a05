#pragma once

#include <atomic>
#include <cstdint>

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
};

} // namespace switchboard::actors
