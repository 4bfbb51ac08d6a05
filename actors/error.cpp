#include "actors/error.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace switchboard::actors {

caf::error make_error(protocol::error_code code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(message))};
}

error_info describe(const caf::error& err) {
  if (err.category() == error_category) {
    std::string msg;
    const auto& ctx = err.context();
    if (ctx.size() == 1 && ctx.match_element<std::string>(0))
      msg = ctx.get_as<std::string>(0);
    return {static_cast<protocol::error_code>(err.code()), std::move(msg)};
  }
  if (err.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(err.code())) {
    case caf::sec::request_timeout:
      return {protocol::error_code::timeout, "request timed out"};
    case caf::sec::request_receiver_down:
      return {protocol::error_code::node_lost,
              "the actor handling the request is gone"};
    default: break;
    }
  }
  return {protocol::error_code::internal, "internal error"};
}

std::string render_error(uint8_t code, caf::atom_value category,
                         const caf::message& ctx) {
  std::string result{
      protocol::to_string(static_cast<protocol::error_code>(code))};
  if (ctx.size() == 1 && ctx.match_element<std::string>(0)) {
    result += ": ";
    result += ctx.get_as<std::string>(0);
  }
  return result;
}

} // namespace switchboard::actors
