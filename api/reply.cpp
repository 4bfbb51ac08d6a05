#include "api/reply.hpp"

#include "actors/error.hpp"
#include "protocol/encoder.hpp"

namespace switchboard::api {

reply success(protocol::message_type type, std::string body) {
  return {type, protocol::error_code::none, std::move(body), {}};
}

reply failure(std::string_view reply_to, protocol::error_code code,
              std::string_view message) {
  return {protocol::message_type::error,
          code,
          protocol::encode_error(reply_to, code, message),
          {}};
}

reply failure(std::string_view reply_to, const caf::error& err) {
  auto info = actors::describe(err);
  return failure(reply_to, info.code, info.message);
}

int http_status(const reply& r) {
  if (r.code != protocol::error_code::none)
    return protocol::http_status(r.code);
  return r.created.empty() ? 200 : 201;
}

} // namespace switchboard::api
