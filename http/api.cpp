#include "http/api.hpp"

#include <charconv>
#include <optional>
#include <variant>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "api/commands.hpp"
#include "http/sse_stream.hpp"
#include "protocol/decoder.hpp"
#include "protocol/encoder.hpp"
#include "protocol/http_routes.hpp"

namespace switchboard::http {

namespace {

using protocol::error_code;
using protocol::http_operation;
using transport::http_exchange_ptr;
using transport::http_request;
using transport::http_response;

// Sends a reply with the status of the status table (or `status` where
// HTTP itself refuses the request) and counts it.
void respond(const api_setup& setup, const http_exchange_ptr& ex, api::reply r,
             int status = 0,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
  if (auto& m = setup.metrics) {
    m->sent(metrics::channel::http, protocol::to_string(r.type));
    if (r.code != error_code::none)
      m->protocol_error(r.code);
  }
  if (!r.created.empty())
    headers.emplace_back("Location", r.created);
  ex->respond({status != 0 ? status : api::http_status(r), "application/json",
               std::move(r.body), std::move(headers)});
}

std::optional<uint64_t> parse_seq(std::string_view s) {
  uint64_t x = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc{} || ptr != s.data() + s.size())
    return std::nullopt;
  return x;
}

// Returns whether a Content-Type names application/json, parameters such
// as "; charset=utf-8" allowed; "application/jsonx" is not JSON.
bool is_json_media_type(std::string ct) {
  for (auto& c : ct)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  constexpr std::string_view json_type = "application/json";
  if (ct.compare(0, json_type.size(), json_type) != 0)
    return false;
  auto rest = ct.find_first_not_of(" \t", json_type.size());
  return rest == std::string::npos || ct[rest] == ';';
}

// A refusal of the request before it became a command.
struct refusal {
  api::reply reply;
  int status = 0;
};

void set_string(rapidjson::Document& doc, const char* key,
                const std::string& value) {
  auto& alloc = doc.GetAllocator();
  rapidjson::Value v{value.c_str(), alloc};
  if (auto i = doc.FindMember(key); i != doc.MemberEnd())
    i->value = std::move(v);
  else
    doc.AddMember(rapidjson::StringRef(key), std::move(v), alloc);
}

// Decodes a request into its command: the body's fields (or the query's),
// plus the names its path carries, validated by the WebSocket decoder.
std::variant<protocol::command, refusal>
to_command(const protocol::http_route& route, const protocol::http_match& match,
           const http_request& req, const protocol::json_limits& limits) {
  rapidjson::Document doc;
  if (!route.body || (req.body.empty() && route.empty_body)) {
    doc.SetObject();
  } else {
    if (!is_json_media_type(req.header("content-type")))
      return refusal{api::failure({}, error_code::bad_message,
                                  "Content-Type must be application/json"),
                     415};
    if (auto st = protocol::parse_json(req.body, doc, limits);
        st.code != error_code::none)
      return refusal{api::failure({}, st.code, st.message)};
    if (!doc.IsObject())
      return refusal{api::failure({}, error_code::bad_message,
                                  "the body must be a JSON object")};
  }
  if (!match.task_id.empty())
    set_string(doc, "task_id", match.task_id);
  if (!match.tool.empty())
    set_string(doc, "tool", match.tool);
  if (route.op == http_operation::list_tasks) {
    // The query's numbers become JSON numbers; anything else stays a
    // string, for the decoder to refuse with its own message.
    for (auto key : {"limit", "since", "until"})
      if (auto text = req.query_param(key)) {
        auto& alloc = doc.GetAllocator();
        rapidjson::Value v;
        if (auto n = parse_seq(*text); n && *n <= INT64_MAX)
          v.SetUint64(*n);
        else
          v.SetString(text->c_str(), alloc);
        doc.AddMember(rapidjson::StringRef(key), std::move(v), alloc);
      }
    for (auto key : {"cursor", "state", "kind"})
      if (auto text = req.query_param(key))
        set_string(doc, key, *text);
  }
  auto decoded = protocol::decode_fields(*route.command, doc, {});
  if (auto* err = std::get_if<protocol::decode_error>(&decoded))
    return refusal{api::failure({}, err->code, err->message)};
  return std::get<protocol::command>(std::move(decoded));
}

api::scope make_scope(const api_setup& setup, std::string principal) {
  api::scope sc;
  sc.manager = setup.manager;
  sc.registry = setup.registry;
  sc.request_timeout = setup.request_timeout;
  sc.status = setup.status;
  sc.metrics = setup.metrics;
  // HTTP callers share one call-id space per principal.
  sc.caller = "http:" + principal;
  sc.principal = std::move(principal);
  return sc;
}

// Looks the task up for the principal and runs `f` with it; a refusal is
// the response.
template<class F>
void with_task(caf::event_based_actor* self, const api_setup& setup,
               const std::string& principal, const std::string& task_id,
               const http_exchange_ptr& ex, F f) {
  self->request(setup.manager, setup.request_timeout, actors::get_atom::value,
                task_id, principal)
      .then([=](actors::task_actor& t) { f(t); },
            [=](caf::error& err) {
              respond(setup, ex, api::failure({}, err));
              self->quit();
            });
}

void serve_events(caf::event_based_actor* self, const api_setup& setup,
                  const std::string& principal, const std::string& task_id,
                  const http_request& req, const http_exchange_ptr& ex) {
  uint64_t after = 0;
  auto last_id = req.header("last-event-id");
  auto text =
      !last_id.empty() ? std::optional{last_id} : req.query_param("after");
  if (text) {
    auto seq = parse_seq(*text);
    if (!seq) {
      respond(setup, ex,
              api::failure({}, error_code::bad_message,
                           "Last-Event-ID or after must be a non-negative "
                           "integer"));
      return self->quit();
    }
    after = *seq;
  }
  auto coalesce = req.query_param("coalesce");
  if (coalesce && *coalesce != protocol::coalesce_progress) {
    respond(setup, ex,
            api::failure({}, error_code::bad_message,
                         "coalesce must be \"progress\" or absent"));
    return self->quit();
  }
  with_task(self, setup, principal, task_id, ex, [=](actors::task_actor& t) {
    sse_stream_setup ss;
    ss.exchange = ex;
    ss.task = t;
    ss.task_id = task_id;
    ss.after = after;
    ss.coalesce = coalesce.has_value();
    ss.heartbeat = setup.heartbeat;
    ss.request_timeout = setup.request_timeout;
    ss.metrics = setup.metrics;
    self->system().spawn(sse_stream, std::move(ss));
    self->quit();
  });
}

void serve_task(caf::event_based_actor* self, const api_setup& setup,
                const std::string& principal, const std::string& task_id,
                const http_exchange_ptr& ex) {
  with_task(self, setup, principal, task_id, ex, [=](actors::task_actor& t) {
    self->request(t, setup.request_timeout, actors::snapshot_atom::value)
        .then(
            [=](std::string& snap) {
              respond(
                  setup, ex,
                  api::success(protocol::message_type::task, std::move(snap)));
              self->quit();
            },
            [=](caf::error& err) {
              respond(setup, ex, api::failure({}, err));
              self->quit();
            });
  });
}

// Answers /metrics, /healthz and /readyz; counted by their operation (a
// scrape after it is serialized, so it does not count itself).
void serve_plain(const api_setup& setup, http_operation op,
                 const http_request& req, const http_exchange_ptr& ex) {
  http_response res{200, "application/json", {}, {}};
  if (op == http_operation::metrics) {
    res.content_type = metrics::registry::content_type;
    res.body = setup.metrics->serialize();
  } else {
    // Only readiness depends on the state: the process is alive either way.
    std::string_view status = "ok";
    if (req.path == "/readyz" && setup.status) {
      if (setup.status->draining)
        status = "draining";
      else if (!setup.status->storage_ok)
        status = "storage_unavailable";
    }
    res.status = status == "ok" ? 200 : 503;
    res.body = protocol::object_writer{}.str("status", status).finish();
  }
  if (setup.metrics)
    setup.metrics->sent(metrics::channel::http, protocol::to_string(op));
  ex->respond(std::move(res));
}

// Serves a matched request that needs the actors, from its own actor, so
// that parsing bodies and building replies never run on the I/O thread.
void serve_matched(caf::event_based_actor* self, const api_setup& setup,
                   const std::string& principal, const http_request& req,
                   const protocol::http_match& match,
                   const http_exchange_ptr& ex) {
  auto& route = *match.route;
  if (route.op == http_operation::get_task)
    return serve_task(self, setup, principal, match.task_id, ex);
  if (route.op == http_operation::events)
    return serve_events(self, setup, principal, match.task_id, req, ex);
  auto decoded = to_command(route, match, req, setup.limits);
  if (auto* r = std::get_if<refusal>(&decoded)) {
    respond(setup, ex, std::move(r->reply), r->status);
    return self->quit();
  }
  api::run(self, make_scope(setup, principal),
           std::get<protocol::command>(decoded),
           [self, setup, ex](api::reply r) {
             respond(setup, ex, std::move(r));
             self->quit();
           });
}

} // namespace

void serve(caf::actor_system& sys, const api_setup& setup,
           std::string principal, http_request req, http_exchange_ptr ex) {
  auto match = protocol::match_route(req.method, req.path);
  // Without a registry there is no /metrics endpoint.
  if (match.op == http_operation::metrics && !setup.metrics)
    match = {};
  if (auto& m = setup.metrics)
    m->received(metrics::channel::http, protocol::to_string(match.op));
  // Refusals by the route table, the health checks and the scrape answer on
  // the I/O thread: they are cheap, and they must answer even while every
  // actor thread is busy.
  if (!match.route) {
    if (match.allow.empty())
      return respond(setup, ex,
                     api::failure({}, error_code::bad_message,
                                  "no such endpoint: " + req.path),
                     404);
    return respond(
        setup, ex,
        api::failure({}, error_code::bad_message, "method not allowed"), 405,
        {{"Allow", match.allow}});
  }
  if (match.route->op == http_operation::metrics ||
      match.route->op == http_operation::health)
    return serve_plain(setup, match.route->op, req, ex);
  sys.spawn([setup, principal = std::move(principal), req = std::move(req),
             match = std::move(match),
             ex = std::move(ex)](caf::event_based_actor* self) {
    // A bug of ours still answers the request.
    actors::on_exception(self, [setup, ex](const std::string&) {
      respond(setup, ex,
              api::failure({}, error_code::internal, "internal error"));
    });
    serve_matched(self, setup, principal, req, match, ex);
  });
}

} // namespace switchboard::http
