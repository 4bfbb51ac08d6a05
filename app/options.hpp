#pragma once

#include "log/logger.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace switchboard::app {

/// Everything configurable, with the documented defaults.
struct options {
  /// Address to bind.
  std::string host = "127.0.0.1";
  /// Port to bind; 0 picks a free one.
  uint16_t port = 8080;
  /// Directory that flows and file tools may read.
  std::string workspace;
  /// Interval of heartbeats (JSON and WebSocket pings).
  int64_t heartbeat_ms = 15000;
  /// Largest WebSocket message.
  size_t max_message_bytes = 1024 * 1024;
  /// Largest HTTP request body.
  size_t max_body_bytes = 1024 * 1024;
  /// Deepest JSON nesting accepted.
  size_t max_json_depth = 64;
  /// A connection with data queued that writes nothing for this long is
  /// closed as a slow consumer.
  int64_t write_timeout_ms = 10000;
  /// Kernel send buffer per connection (0: the kernel's autotuning).
  size_t socket_send_buffer = 0;
  /// Bound of each connection's outbound queue.
  size_t max_queue_bytes = 4 * 1024 * 1024;
  /// Events kept per task.
  size_t max_log_events = 10000;
  /// How long finished tasks stay queryable (in the history; in memory
  /// when the history is off).
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  /// Keep the history in SQLite (true) or only in memory (false).
  bool history = true;
  /// Directory of the history's database.
  std::string data_dir = "data";
  /// Fsync every commit (`full`) or survive process crashes only
  /// (`normal`).
  std::string durability = "normal";
  /// Finished tasks the history keeps at most; the oldest go first.
  uint64_t max_tasks_kept = 100000;
  /// Largest params object of a `start`, in JSON bytes.
  size_t max_params_bytes = 64 * 1024;
  /// Largest tool result in JSON bytes; larger ones fail with `tool_failed`.
  size_t max_result_bytes = 16 * 1024 * 1024;
  /// Bytes the logs of all finished tasks may pin; the oldest are forgotten
  /// first when they would pin more.
  uint64_t max_retained_bytes = 256ull * 1024 * 1024;
  /// Time allowed for a tool call made by a task.
  int64_t tool_timeout_ms = 60 * 1000;
  /// Most file bytes one tool call may read (hash, scan, search).
  size_t tool_max_bytes = size_t{1} << 30;
  /// Threads running blocking tools.
  size_t worker_threads = 2;
  /// Jobs waiting for a tool worker before calls get `overloaded`.
  size_t worker_queue = 1024;
  /// Threads of CAF's scheduler.
  size_t actor_threads = 2;
  /// Threads running network I/O.
  size_t io_threads = 1;
  /// This node's name, reported with its tools and tasks (`--node-name`).
  std::string node = "local";
  /// Address of the cluster port (BASP).
  std::string cluster_host = "127.0.0.1";
  /// The cluster port; -1 keeps the node alone, 0 picks a free port.
  int32_t cluster_port = -1;
  /// The cluster's shared secret: nodes that cannot prove they know it are
  /// not admitted. Empty: none (then the cluster port stays on loopback).
  std::string cluster_secret;
  /// Nodes to join through, as HOST:PORT.
  std::vector<std::string> join;
  /// Running tasks that report nothing for this long fail with `timeout`
  /// (0 disables; tasks waiting for input are never stale).
  int64_t stale_after_ms = 10 * 60 * 1000;
  /// Tasks nobody has watched for this long are stopped (0 disables).
  int64_t orphan_after_ms = 0;
  /// Time running tasks get to finish on shutdown.
  int64_t grace_ms = 10000;
  /// Open connections beyond which new ones are refused.
  size_t max_connections = 10000;
  /// Running tasks beyond which `start` answers `overloaded`.
  size_t max_tasks = 10000;
  /// Messages per second a connection may send (bursts of twice that).
  size_t rate_limit = 200;
  /// Bearer tokens; when any is set, every request needs one.
  std::vector<std::string> tokens;
  /// Origins browsers may use besides the server's own host.
  std::vector<std::string> allowed_origins;
  /// Host names (of the `Host` header) the server answers to besides
  /// loopback names and addresses; `*.NAME` matches any subdomain.
  std::vector<std::string> allowed_hosts;
  /// Flows plugins (shared libraries) loaded at start (`--flows`).
  std::vector<std::string> flows;
  /// Warnings met while parsing (for example short tokens), for the log.
  std::vector<std::string> warnings;
  /// Lines below this level are not logged.
  log::level log_level = log::level::info;
  /// How log lines look.
  log::format log_format = log::format::text;
  /// Allows binding a non-loopback address without tokens.
  bool insecure = false;
};

/// Returns the usage text listing every option.
std::string usage();

/// Parses `--name=value` arguments and, with `--config-file=FILE`, a file of
/// `name = value` lines (command-line values win). Returns the options or a
/// one-line reason; `--help` yields the reason "help".
std::variant<options, std::string> parse_options(int argc, char** argv,
                                                 std::string default_workspace);

} // namespace switchboard::app
