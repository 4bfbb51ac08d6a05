#pragma once
// Minimal non-blocking client side of WebSocket, HTTP/1.1 and SSE over epoll,
// for the load benchmark only. One `loop` per thread or process drives many
// connections; nothing here is thread-safe. Loopback only.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

/// Monotonic clock in nanoseconds.
int64_t now_ns();

/// Returns the text of the JSON string member `key` in `msg` (found by a
/// plain search for `"key":"`), or "" when it is absent. Good enough for
/// the server's own compact output.
std::string_view json_str(std::string_view msg, std::string_view key);

/// Whether `msg` has `"type":"<type>"`.
bool has_type(std::string_view msg, std::string_view type);

class loop;

/// One client connection. `mode` decides how inbound bytes are cut up:
/// ws: one callback per text message (after the 101 and the hello);
/// http: one callback per response body (Content-Length framing);
/// sse: once streaming, one callback per event block (text up to "\n\n").
class conn {
 public:
  enum class mode { ws, http, sse };
  enum class state { connecting, handshake, open, streaming, closed };

  conn(loop& l, mode m) : loop_(l), mode_(m) {}
  ~conn();

  /// Starts a non-blocking connect to 127.0.0.1:`port`; for ws, then the
  /// upgrade of /ws. Returns false when the socket cannot be made.
  bool connect(uint16_t port);

  /// Sends one masked WebSocket text frame.
  void send_ws(std::string_view text);

  /// Sends raw bytes (HTTP requests).
  void send_raw(std::string_view bytes);

  /// Switches an http connection to SSE after its last response: the next
  /// response is a stream of events.
  void expect_stream() { mode_ = mode::sse; }

  void close();

  state st = state::connecting;
  int fd = -1;
  /// Called with each message (see class comment).
  std::function<void(conn&, std::string_view)> on_msg;
  /// Called once when the WebSocket is open (101 received).
  std::function<void(conn&)> on_open;
  /// Called once when the connection ends.
  std::function<void(conn&)> on_close;
  /// Status code of the last HTTP response.
  int status = 0;
  /// Free for the scenario.
  int64_t tag = 0;
  int64_t n = 0;
  int64_t t0 = 0;
  std::string task_id;

  // Used by loop.
  void on_readable();
  void on_writable();

 private:
  void flush();
  void parse();
  bool parse_ws();
  bool parse_http();
  bool parse_sse();

  loop& loop_;
  mode mode_;
  uint16_t port_ = 0;
  std::string in_;
  size_t in_off_ = 0;
  std::string out_;
  size_t out_off_ = 0;
  bool want_out_ = false;
  std::string frag_;  // a fragmented WebSocket message
  bool headers_done_ = false;
};

/// An epoll loop over conns.
class loop {
 public:
  loop();
  ~loop();
  /// Runs until `done()` holds or `deadline_ns` passes; returns done().
  bool run(const std::function<bool()>& done, int64_t deadline_ns);
  void add(conn* c, bool want_out);
  void mod(conn* c, bool want_out);
  void del(conn* c);

 private:
  int ep_;
};

} // namespace bench
