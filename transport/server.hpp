#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "transport/handler.hpp"

namespace switchboard::transport {

/// Connection-level events reported to `server_options::observer`.
enum class connection_event {
  /// Bytes were queued (positive amount) or left a WebSocket queue.
  queue_bytes,
  /// A WebSocket was closed with 1013 because its queue overflowed.
  slow_consumer,
  /// A WebSocket peer stopped answering pings and was dropped.
  heartbeat_lost,
  /// An SSE stream was dropped because its queue overflowed.
  sse_slow_consumer,
};

/// Settings of the HTTP/WebSocket listener.
struct server_options {
  /// Address to bind.
  std::string host = "127.0.0.1";
  /// Port to bind; 0 picks a free one.
  uint16_t port = 8080;
  /// Largest WebSocket message accepted (close 1009 above it).
  size_t max_message_bytes = 1024 * 1024;
  /// Largest HTTP request body accepted (413 above it).
  size_t max_body_bytes = 1024 * 1024;
  /// Bound of each connection's outbound queue (close 1013 above it).
  size_t max_queue_bytes = 4 * 1024 * 1024;
  /// Peers silent for three of these are dropped.
  std::chrono::milliseconds heartbeat{15000};
  /// A connection with data queued that writes nothing for this long is a
  /// stalled reader: closed and counted as a slow consumer.
  std::chrono::milliseconds write_timeout{10000};
  /// Kernel send buffer of each connection in bytes; 0 leaves the kernel's
  /// autotuning (up to several MiB per connection).
  size_t socket_send_buffer = 0;
  /// Time allowed for the HTTP request or WebSocket handshake.
  std::chrono::milliseconds handshake_timeout{30000};
  /// Number of I/O threads.
  size_t threads = 1;
  /// Optional observer of connection events (e.g. metrics); called on I/O
  /// and actor threads, so it must be thread-safe and cheap. The amount is
  /// the byte delta for `queue_bytes`, else 1.
  std::function<void(connection_event, int64_t)> observer;
  /// Open connections beyond which new ones get 503 and are closed.
  size_t max_connections = 10000;
};

/// The Beast-based listener: accepts TCP connections, serves HTTP requests
/// and upgrades `/ws` to WebSocket, handing everything to a `handler`.
class server {
 public:
  /// Creates a server that is not yet listening.
  server(server_options opts, std::shared_ptr<handler> h);

  ~server();

  /// Binds and starts accepting on the I/O threads; returns an empty string
  /// on success, otherwise a one-line reason.
  std::string start();

  /// Returns the bound port (after a successful `start`).
  uint16_t port() const;

  /// Stops accepting, closes every connection and joins the I/O threads.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace switchboard::transport
