#pragma once

#include <chrono>
#include <thread>

namespace switchboard::test {

/// Polls `pred` every few milliseconds until it holds or `timeout` passes;
/// returns whether it held. Tests wait for what they expect with this, not
/// with a fixed sleep.
template<class Pred>
bool eventually(Pred pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

} // namespace switchboard::test
