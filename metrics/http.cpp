#include "metrics/http.hpp"

#include <string>
#include <utility>

namespace switchboard::metrics {

namespace {

// Decorates an exchange: counts the one response, forwards everything.
class counting_exchange : public transport::http_exchange {
 public:
  counting_exchange(registry_ptr reg, std::string_view operation,
                    transport::http_exchange_ptr inner)
      : reg_(std::move(reg)), op_(operation), inner_(std::move(inner)) {}

  void respond(transport::http_response res) override {
    auto type = type_of_json(res.body);
    if (type.empty())
      type = op_;
    reg_->sent(channel::http, type);
    if (type == "error") {
      constexpr std::string_view key = "\"code\":\"";
      std::string_view body = res.body;
      auto i = body.find(key);
      if (i != std::string_view::npos) {
        auto b = i + key.size();
        auto e = body.find('"', b);
        reg_->protocol_error(body.substr(b, e - b));
      }
    }
    inner_->respond(std::move(res));
  }

  void start_stream(transport::http_response head) override {
    inner_->start_stream(std::move(head));
  }

  bool write(protocol::frame chunk) override {
    return inner_->write(std::move(chunk));
  }

  size_t queued_bytes() const override {
    return inner_->queued_bytes();
  }

  size_t max_queued_bytes() const override {
    return inner_->max_queued_bytes();
  }

  void end() override {
    inner_->end();
  }

  void on_closed(std::function<void()> f) override {
    inner_->on_closed(std::move(f));
  }

 private:
  registry_ptr reg_;
  std::string_view op_;
  transport::http_exchange_ptr inner_;
};

} // namespace

std::string_view http_operation(std::string_view method,
                                std::string_view path) {
  if (path == "/metrics")
    return "metrics";
  if (path == "/healthz" || path == "/readyz")
    return "health";
  constexpr std::string_view tasks = "/api/tasks";
  constexpr std::string_view tools = "/api/tools";
  if (path == tasks)
    return method == "POST" ? "start" : "list_tasks";
  if (path == tools)
    return "list_tools";
  if (path == "/api/kinds")
    return "list_kinds";
  if (path.substr(0, tasks.size() + 1) == "/api/tasks/") {
    auto rest = path.substr(tasks.size() + 1);
    auto slash = rest.find('/');
    if (slash == std::string_view::npos)
      return "get_task";
    auto sub = rest.substr(slash + 1);
    if (sub == "events")
      return "events";
    if (sub == "input")
      return "input";
    if (sub == "stop")
      return "stop";
    return "other";
  }
  if (path.substr(0, tools.size() + 1) == "/api/tools/" && path.size() > 5 &&
      path.substr(path.size() - 5) == "/call")
    return "call_tool";
  return "other";
}

transport::http_exchange_ptr count_http(const registry_ptr& reg,
                                        std::string_view operation,
                                        transport::http_exchange_ptr ex) {
  if (!reg)
    return ex;
  reg->received(channel::http, operation);
  return std::make_shared<counting_exchange>(reg, operation, std::move(ex));
}

} // namespace switchboard::metrics
