#pragma once

#include <cstdint>
#include <memory>

namespace switchboard::test {

/// A TCP proxy on 127.0.0.1 (a port of its own) that pipes every
/// connection to 127.0.0.1:`target_port`, on a thread of its own; `cut`
/// drops the connections it carries, as a flaky network would.
class tcp_proxy {
 public:
  /// Listens on a free port and starts the thread.
  explicit tcp_proxy(uint16_t target_port);

  /// Closes everything and joins the thread.
  ~tcp_proxy();

  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  /// The port it listens on.
  uint16_t port() const;

  /// Closes every connection it carries now (both sides); new ones are
  /// still accepted. Returns how many were cut.
  int cut();

  /// How many connections it has accepted so far.
  int accepted() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace switchboard::test
