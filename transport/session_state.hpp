#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "transport/handler.hpp"
#include "transport/server.hpp"

// Private to transport/: shared by the listener and the session classes.

namespace switchboard::transport {

/// A live connection that the server closes when it stops.
class session_base {
 public:
  virtual ~session_base() = default;

  /// Closes the connection on its strand (WebSocket: close 1001).
  /// Thread-safe.
  virtual void shutdown() = 0;

  /// Closes the socket at once; only while no I/O thread runs.
  virtual void force_close() = 0;
};

/// State shared by the server, its listener and every session. It owns the
/// io_context, so a socket kept alive by a handler's `connection_ptr` never
/// outlives the io_context it belongs to.
class server_state {
 public:
  /// Creates the io_context for `opts.threads` threads.
  server_state(server_options opts, std::shared_ptr<handler> h);

  /// The io_context that runs every socket of this server.
  boost::asio::io_context ioc;

  /// The settings.
  const server_options opts;

  /// Where traffic goes.
  const std::shared_ptr<handler> hdl;

  /// True once the I/O threads are gone: posting would only leak.
  std::atomic<bool> stopped{false};

  /// Registers a live session; returns false while stopping.
  bool add(const std::shared_ptr<session_base>& s);

  /// Unregisters `s`; no-op when not registered.
  void remove(session_base* s);

  /// Returns the number of registered sessions.
  size_t size();

  /// Returns the sessions that are still alive.
  std::vector<std::shared_ptr<session_base>> live();

  /// Refuses new sessions from now on.
  void begin_stop();

  /// Waits until no session is registered; returns false on timeout.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::unordered_map<session_base*, std::weak_ptr<session_base>> live_;
};

/// Shared handle to the server state.
using server_state_ptr = std::shared_ptr<server_state>;

} // namespace switchboard::transport
