#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocol/frame.hpp"

namespace switchboard::transport {

/// The server side of one WebSocket connection, as seen by the actors.
/// Every member function is thread-safe: it posts to the connection's strand.
class connection {
 public:
  virtual ~connection() = default;

  /// Queues `f` as one text frame. A connection whose queue exceeds its
  /// byte bound is closed with 1013 instead (slow consumer).
  virtual void send(protocol::frame f) = 0;

  /// Queues `fs` as text frames, in order, with one hand-off to the I/O
  /// thread; the same bound applies to each.
  virtual void send(std::vector<protocol::frame> fs) = 0;

  /// Sends a close frame with `code` and `reason` after the queued frames.
  virtual void close(uint16_t code, std::string reason) = 0;

  /// Sends a WebSocket ping.
  virtual void ping() = 0;

  /// Returns "ip:port" of the peer.
  virtual std::string remote() const = 0;

  /// Returns the bytes queued for writing right now (approximate when read
  /// from another thread), so that producers can pace large replays.
  virtual size_t queued_bytes() const = 0;

  /// Returns the bound of the outbound queue.
  virtual size_t max_queued_bytes() const = 0;
};

/// Shared handle to a connection.
using connection_ptr = std::shared_ptr<connection>;

/// Receives what a WebSocket client sends; called on the connection's strand,
/// one call at a time, so implementations only hand the data over.
class inbound {
 public:
  virtual ~inbound() = default;

  /// A complete text message within the size limit.
  virtual void on_text(std::string text) = 0;

  /// A complete binary message.
  virtual void on_binary() = 0;

  /// A message over the size limit; the connection closes with 1009 after.
  virtual void on_too_large() = 0;

  /// The connection is gone; no call follows.
  virtual void on_closed() = 0;
};

/// Shared handle to an inbound handler.
using inbound_ptr = std::shared_ptr<inbound>;

} // namespace switchboard::transport
