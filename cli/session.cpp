#include "cli/session.hpp"

#include <cstdio>

#include "cli/exit_code.hpp"
#include "protocol/json.hpp"

namespace switchboard::cli {

std::string message::type() const {
  return field("type");
}

std::string message::field(const char* name) const {
  if (!doc.IsObject())
    return {};
  auto i = doc.FindMember(name);
  if (i == doc.MemberEnd())
    return {};
  if (i->value.IsString())
    return {i->value.GetString(), i->value.GetStringLength()};
  if (i->value.IsInt64())
    return std::to_string(i->value.GetInt64());
  return {};
}

void print_out(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (text.empty() || text.back() != '\n')
    std::fputc('\n', stdout);
  std::fflush(stdout);
}

session::session(const global_options& options)
    : options_(options),
      connection_(parse_server_url(options.server), options.token) {
  connection_.open();
}

session::~session() {
  connection_.close();
}

message session::read_one() {
  message m;
  m.raw = connection_.read();
  if (protocol::parse_json(m.raw, m.doc).code != protocol::error_code::none ||
      !m.doc.IsObject())
    throw failure(exit_code::failed,
                  "the server sent a message that is not a JSON object: " +
                      m.raw.substr(0, 200));
  return m;
}

message session::request(std::string_view type, const std::string& fields) {
  auto id = next_id_++;
  std::string text =
      "{\"type\":" + protocol::quote(type) + ",\"id\":" + std::to_string(id);
  if (!fields.empty())
    text += "," + fields;
  text += "}";
  connection_.send(text);
  for (;;) {
    auto m = read_one();
    auto reply_to = m.doc.FindMember("reply_to");
    if (reply_to != m.doc.MemberEnd() && reply_to->value.IsInt64() &&
        reply_to->value.GetInt64() == id)
      return m;
    auto t = m.type();
    if (t != "heartbeat" && t != "hello")
      pending_.push_back(std::move(m));
  }
}

message session::next() {
  for (;;) {
    if (!pending_.empty()) {
      auto m = std::move(pending_.front());
      pending_.pop_front();
      return m;
    }
    auto m = read_one();
    if (m.type() != "heartbeat")
      return m;
  }
}

void session::expect_success(const message& reply) const {
  if (reply.type() != "error")
    return;
  if (options_.json)
    print_raw(reply);
  auto code = reply.field("code");
  auto hint = hint_for_error(code);
  throw failure(exit_code_for_error(code),
                code + ": " + reply.field("message") +
                    (hint.empty() ? "" : "; " + hint));
}

void session::print_raw(const message& m) {
  print_out(m.raw);
}

} // namespace switchboard::cli
