#include "tools/tool.hpp"

namespace switchboard::tools {

outcome cancel_token::stopped() const {
  if (!cancel_requested() && expired())
    return outcome::fail(protocol::error_code::tool_timeout,
                         "the tool call ran past its deadline");
  return outcome::fail(protocol::error_code::tool_failed,
                       "the tool call was cancelled");
}

} // namespace switchboard::tools
