#pragma once

#include <memory>
#include <string>

namespace switchboard::protocol {

/// An outbound message serialized exactly once and shared by every receiver.
using frame = std::shared_ptr<const std::string>;

/// Wraps `text` into a frame.
inline frame make_frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

} // namespace switchboard::protocol
