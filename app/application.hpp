#pragma once

#include <memory>
#include <string>

#include "app/options.hpp"

namespace switchboard::app {

/// The whole server: actor system, registry, task manager, tool workers and
/// the HTTP/WebSocket listener, started and stopped as one.
class application {
 public:
  /// Creates an application that is not running yet.
  explicit application(options opts);

  ~application();

  /// Opens the workspace, spawns the actors and starts listening; returns an
  /// empty string on success, otherwise a one-line reason.
  std::string start();

  /// Returns the bound port (after a successful `start`).
  uint16_t port() const;

  /// Returns the cluster port, or 0 when the node is not clustered.
  uint16_t cluster_port() const;

  /// Drains gracefully: refuses new work, tells clients `shutdown`, gives
  /// running tasks the grace period, stops the rest with reason
  /// "shutdown", delivers every event and closes connections with 1001.
  void drain();

  /// Closes every connection, stops every actor and joins all threads.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace switchboard::app
