// libFuzzer target for the WebSocket message decoder (issue 4).
//
// Feeds arbitrary bytes to protocol::parse_json and protocol::decode, with
// the server's default limits and with tight ones, and checks what the rest
// of the server relies on: no crash, no sanitizer report, errors carry a real
// code, and every JSON-valued field of a decoded command is JSON text that
// parses again (sessions and tasks re-parse them). Run: bash scripts/fuzz.sh

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/decoder.hpp"
#include "protocol/json.hpp"

namespace proto = switchboard::protocol;

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "decoder_fuzz: property failed: %s\n", what);
    std::abort();
  }
}

// `text` must be JSON that parse_json accepts with the default limits.
void require_json(const std::string& text, const char* what) {
  rapidjson::Document doc;
  require(proto::parse_json(text, doc).code == proto::error_code::none, what);
}

void check_parse(std::string_view text, const proto::json_limits& limits) {
  rapidjson::Document doc;
  auto st = proto::parse_json(text, doc, limits);
  if (st.code != proto::error_code::none) {
    require(st.code == proto::error_code::bad_json ||
                st.code == proto::error_code::too_large,
            "parse_json fails with bad_json or too_large");
    require(!st.message.empty(), "parse_json failure has a message");
    return;
  }
  require(text.size() <= limits.max_bytes, "accepted text within max_bytes");
  // What the server re-serializes parses again, as the same kind of value.
  // (Not byte-identical: RapidJSON's default number parsing may move a
  // double by one ulp, e.g. 4000000000200000200000000.)
  auto once = proto::to_json(doc);
  rapidjson::Document again;
  proto::json_limits wide{once.size() + 16, limits.max_depth};
  require(proto::parse_json(once, again, wide).code == proto::error_code::none,
          "to_json output parses");
  require(again.GetType() == doc.GetType(), "to_json keeps the value's type");
  if (doc.IsString()) {
    std::string_view s{doc.GetString(), doc.GetStringLength()};
    rapidjson::Document q;
    require(proto::parse_json(proto::quote(s), q).code ==
                    proto::error_code::none &&
                q.IsString() &&
                std::string_view(q.GetString(), q.GetStringLength()) == s,
            "quote round-trips a string");
  }
}

void check_decode(std::string_view text, const proto::json_limits& limits) {
  auto result = proto::decode(text, limits);
  if (auto* err = std::get_if<proto::decode_error>(&result)) {
    require(err->code != proto::error_code::none, "decode error has a code");
    require(!proto::to_string(err->code).empty(), "error code has a name");
    require(!err->message.empty(), "decode error has a message");
    if (!err->id.empty())
      require_json(err->id, "error id is JSON");
    return;
  }
  auto& cmd = std::get<proto::command>(result);
  if (!cmd.id.empty())
    require_json(cmd.id, "id is JSON");
  require_json(cmd.params, "params is JSON");
  require_json(cmd.args, "args is JSON");
  if (!cmd.value.empty())
    require_json(cmd.value, "value is JSON");
  using ct = proto::command_type;
  switch (cmd.type) {
  case ct::start: require(!cmd.task.empty(), "start has a task"); break;
  case ct::stop:
  case ct::subscribe:
  case ct::unsubscribe:
    require(!cmd.task_id.empty(), "task_id present");
    break;
  case ct::input:
    require(!cmd.task_id.empty() && !cmd.request_id.empty() &&
                !cmd.value.empty(),
            "input is complete");
    break;
  case ct::call_tool:
    require(!cmd.call_id.empty() && !cmd.tool.empty(), "call_tool complete");
    break;
  default: break;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  // The server's defaults (--max-message-bytes, --max-json-depth).
  const proto::json_limits defaults{};
  // Tight limits reach the depth and size checks with small inputs.
  const proto::json_limits tight{64, 4};
  check_parse(text, defaults);
  check_parse(text, tight);
  check_decode(text, defaults);
  check_decode(text, tight);
  return 0;
}
