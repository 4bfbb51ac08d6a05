#include "actors/http_api.hpp"

#include <charconv>
#include <optional>
#include <vector>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/sse_stream.hpp"
#include "flows/catalog.hpp"
#include "metrics/http.hpp"
#include "protocol/decoder.hpp"
#include "protocol/encoder.hpp"

namespace switchboard::actors {

namespace {

using protocol::error_code;
using protocol::message_writer;
using transport::http_exchange_ptr;
using transport::http_request;
using transport::http_response;

http_response json(int status, std::string body) {
  return {status, "application/json", std::move(body), {}};
}

http_response error_response(error_code code, std::string_view message) {
  return json(protocol::http_status(code),
              protocol::encode_error({}, code, message));
}

http_response error_response(const caf::error& err) {
  auto info = describe(err);
  return error_response(info.code, info.message);
}

http_response method_not_allowed(std::string allow) {
  auto res = error_response(error_code::bad_message, "method not allowed");
  res.status = 405;
  res.headers.emplace_back("Allow", std::move(allow));
  return res;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 1;
  while (i <= path.size()) {
    auto j = path.find('/', i);
    if (j == std::string::npos)
      j = path.size();
    parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

std::optional<uint64_t> parse_seq(const std::string& s) {
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

// Parses a JSON object body, or answers the request with the matching error.
std::optional<rapidjson::Document>
object_body(const http_request& req, const http_exchange_ptr& ex,
            const protocol::json_limits& limits, bool allow_empty) {
  rapidjson::Document doc;
  if (req.body.empty() && allow_empty) {
    doc.SetObject();
    return doc;
  }
  if (!is_json_media_type(req.header("content-type"))) {
    auto res = error_response(error_code::bad_message,
                              "Content-Type must be application/json");
    res.status = 415;
    ex->respond(std::move(res));
    return std::nullopt;
  }
  if (auto st = protocol::parse_json(req.body, doc, limits);
      st.code != error_code::none) {
    ex->respond(error_response(st.code, st.message));
    return std::nullopt;
  }
  if (!doc.IsObject()) {
    ex->respond(error_response(error_code::bad_message,
                               "the body must be a JSON object"));
    return std::nullopt;
  }
  return doc;
}

// Reads an optional string member; answers bad_message when mistyped.
bool string_member(const rapidjson::Document& doc, const char* key,
                   std::string& out, bool required,
                   const http_exchange_ptr& ex) {
  auto i = doc.FindMember(key);
  if (i == doc.MemberEnd() || (!required && i->value.IsNull())) {
    if (required) {
      ex->respond(error_response(error_code::bad_message,
                                 std::string{"missing field '"} + key + "'"));
      return false;
    }
    return true;
  }
  if (!i->value.IsString() || (required && i->value.GetStringLength() == 0)) {
    ex->respond(error_response(error_code::bad_message,
                               std::string{"field '"} + key +
                                   "' must be a non-empty string"));
    return false;
  }
  out.assign(i->value.GetString(), i->value.GetStringLength());
  return true;
}

struct request_context {
  http_api_setup setup;
  std::string principal;
  http_request req;
  http_exchange_ptr ex;
};

// Looks up a task, then runs `f` with it; answers unknown_task otherwise.
template<class F>
void with_task(caf::event_based_actor* self, const request_context& rc,
               const std::string& id, F f) {
  self->request(rc.setup.manager, rc.setup.request_timeout, get_atom::value, id,
                rc.principal)
      .then([f](task_actor& t) mutable { f(t); },
            [self, ex = rc.ex](caf::error& err) {
              ex->respond(error_response(err));
              self->quit();
            });
}

void route(caf::event_based_actor* self, request_context rc) {
  auto& req = rc.req;
  auto ex = rc.ex;
  auto timeout = rc.setup.request_timeout;
  auto done = [self] { self->quit(); };
  auto parts = split_path(req.path);
  auto fail = [self, ex](caf::error& err) {
    ex->respond(error_response(err));
    self->quit();
  };
  // -- /api/tasks ------------------------------------------------------------
  if (parts.size() == 2 && parts[0] == "api" && parts[1] == "tasks") {
    if (req.method == "GET") {
      uint64_t limit = protocol::max_list_limit;
      if (auto text = req.query_param("limit")) {
        auto n = parse_seq(*text);
        if (!n || *n == 0 || *n > protocol::max_list_limit) {
          ex->respond(
              error_response(error_code::bad_message,
                             "limit must be an integer from 1 to " +
                                 std::to_string(protocol::max_list_limit)));
          return done();
        }
        limit = *n;
      }
      auto cursor = req.query_param("cursor").value_or("");
      self->request(rc.setup.manager, timeout, list_atom::value, rc.principal,
                    limit, cursor)
          .then(
              [=](std::vector<protocol::task_info>& tasks, std::string& next) {
                ex->respond(json(200, protocol::encode_tasks({}, tasks, next)));
                done();
              },
              fail);
      return;
    }
    if (req.method != "POST") {
      ex->respond(method_not_allowed("GET, POST"));
      return done();
    }
    auto body = object_body(req, ex, rc.setup.limits, false);
    if (!body)
      return done();
    std::string kind;
    if (!string_member(*body, "task", kind, true, ex))
      return done();
    std::string params = "{}";
    if (auto i = body->FindMember("params"); i != body->MemberEnd()) {
      if (!i->value.IsObject()) {
        ex->respond(error_response(error_code::invalid_params,
                                   "field 'params' must be an object"));
        return done();
      }
      params = protocol::to_json(i->value);
    }
    self->request(rc.setup.manager, timeout, start_atom::value, kind, params,
                  rc.principal)
        .then(
            [=](std::string& task_id, task_actor&) {
              auto body =
                  message_writer{"start_success"}
                      .str("task_id", task_id)
                      .str("task", kind)
                      .str("events", "/api/tasks/" + task_id + "/events")
                      .finish();
              auto res = json(201, std::move(body));
              res.headers.emplace_back("Location", "/api/tasks/" + task_id);
              ex->respond(std::move(res));
              done();
            },
            fail);
    return;
  }
  // -- /api/tasks/ID[/events|/input|/stop] ------------------------------------
  if (parts.size() >= 3 && parts.size() <= 4 && parts[0] == "api" &&
      parts[1] == "tasks" && !parts[2].empty()) {
    auto id = parts[2];
    auto sub = parts.size() == 4 ? parts[3] : std::string{};
    if (sub.empty()) {
      if (req.method != "GET") {
        ex->respond(method_not_allowed("GET"));
        return done();
      }
      with_task(self, rc, id, [=](task_actor& t) {
        self->request(t, timeout, snapshot_atom::value)
            .then(
                [=](std::string& snap) {
                  ex->respond(json(200, std::move(snap)));
                  done();
                },
                fail);
      });
      return;
    }
    if (sub == "events") {
      if (req.method != "GET") {
        ex->respond(method_not_allowed("GET"));
        return done();
      }
      uint64_t after = 0;
      auto last_id = req.header("last-event-id");
      auto q = req.query_param("after");
      auto text = !last_id.empty() ? std::optional{last_id} : q;
      if (text) {
        auto seq = parse_seq(*text);
        if (!seq) {
          ex->respond(error_response(
              error_code::bad_message,
              "Last-Event-ID or after must be a non-negative integer"));
          return done();
        }
        after = *seq;
      }
      auto coalesce = req.query_param("coalesce");
      if (coalesce && *coalesce != protocol::coalesce_progress) {
        ex->respond(error_response(error_code::bad_message,
                                   "coalesce must be \"progress\" or absent"));
        return done();
      }
      auto setup = rc.setup;
      with_task(self, rc, id, [=, &sys = self->system()](task_actor& t) {
        sse_stream_setup ss;
        ss.exchange = ex;
        ss.task = t;
        ss.task_id = id;
        ss.after = after;
        ss.coalesce = coalesce.has_value();
        ss.heartbeat = setup.heartbeat;
        ss.request_timeout = setup.request_timeout;
        ss.metrics = setup.metrics;
        sys.spawn(sse_stream, std::move(ss));
        done();
      });
      return;
    }
    if (sub == "input" || sub == "stop") {
      if (req.method != "POST") {
        ex->respond(method_not_allowed("POST"));
        return done();
      }
      auto body = object_body(req, ex, rc.setup.limits, sub == "stop");
      if (!body)
        return done();
      if (sub == "stop") {
        std::string reason;
        if (!string_member(*body, "reason", reason, false, ex))
          return done();
        with_task(self, rc, id, [=](task_actor& t) {
          self->request(t, timeout, stop_atom::value, reason)
              .then(
                  [=](std::string& state) {
                    ex->respond(json(200, message_writer{"stop_success"}
                                              .str("task_id", id)
                                              .str("state", state)
                                              .finish()));
                    done();
                  },
                  fail);
        });
        return;
      }
      std::string request_id;
      if (!string_member(*body, "request_id", request_id, true, ex))
        return done();
      auto v = body->FindMember("value");
      if (v == body->MemberEnd()) {
        ex->respond(
            error_response(error_code::bad_message, "missing field 'value'"));
        return done();
      }
      auto value = protocol::to_json(v->value);
      with_task(self, rc, id, [=](task_actor& t) {
        self->request(t, timeout, input_atom::value, request_id, value)
            .then(
                [=](ok_atom) {
                  ex->respond(json(200, message_writer{"input_success"}
                                            .str("task_id", id)
                                            .str("request_id", request_id)
                                            .finish()));
                  done();
                },
                fail);
      });
      return;
    }
  }
  // -- /api/kinds ------------------------------------------------------------
  if (parts.size() == 2 && parts[0] == "api" && parts[1] == "kinds") {
    if (req.method != "GET") {
      ex->respond(method_not_allowed("GET"));
      return done();
    }
    ex->respond(json(
        200,
        message_writer{"kinds"}.raw("kinds", flows::kinds_json()).finish()));
    return done();
  }
  // -- /api/tools -------------------------------------------------------------
  if (parts.size() == 2 && parts[0] == "api" && parts[1] == "tools") {
    if (req.method != "GET") {
      ex->respond(method_not_allowed("GET"));
      return done();
    }
    self->request(rc.setup.registry, timeout, list_atom::value)
        .then(
            [=](std::vector<protocol::tool_info>& tools) {
              message_writer w{"tools"};
              w.key("tools");
              protocol::write_tools(w.writer(), tools);
              ex->respond(json(200, w.finish()));
              done();
            },
            fail);
    return;
  }
  if (parts.size() == 4 && parts[0] == "api" && parts[1] == "tools" &&
      parts[3] == "call" && !parts[2].empty()) {
    if (req.method != "POST") {
      ex->respond(method_not_allowed("POST"));
      return done();
    }
    auto body = object_body(req, ex, rc.setup.limits, false);
    if (!body)
      return done();
    std::string call_id;
    if (!string_member(*body, "call_id", call_id, true, ex))
      return done();
    auto a = body->FindMember("args");
    if (a == body->MemberEnd() || !a->value.IsObject()) {
      ex->respond(error_response(error_code::invalid_args,
                                 "field 'args' must be an object"));
      return done();
    }
    if (rc.setup.status && rc.setup.status->draining) {
      ex->respond(error_response(error_code::shutting_down,
                                 "the server is shutting down"));
      return done();
    }
    auto tool = parts[2];
    // HTTP callers share one call-id space until tokens name them.
    self->request(rc.setup.registry, std::chrono::minutes(10), call_atom::value,
                  "http:" + rc.principal, call_id, tool,
                  protocol::to_json(a->value))
        .then(
            [=](std::string& result) {
              ex->respond(json(200, message_writer{"tool_result"}
                                        .str("call_id", call_id)
                                        .raw("result", result)
                                        .finish()));
              done();
            },
            [=, reg = rc.setup.registry,
             caller = "http:" + rc.principal](caf::error& err) {
              if (err == caf::sec::request_timeout)
                self->send(reg, cancel_atom::value, caller, call_id);
              fail(err);
            });
    return;
  }
  // -- health -----------------------------------------------------------------
  // -- metrics ----------------------------------------------------------------
  if (req.path == "/metrics" && rc.setup.metrics) {
    if (req.method != "GET" && req.method != "HEAD") {
      ex->respond(method_not_allowed("GET, HEAD"));
      return done();
    }
    ex->respond({200,
                 std::string{metrics::registry::content_type},
                 rc.setup.metrics->serialize(),
                 {}});
    return done();
  }
  if (req.path == "/healthz" || req.path == "/readyz") {
    if (req.method != "GET" && req.method != "HEAD") {
      ex->respond(method_not_allowed("GET, HEAD"));
      return done();
    }
    auto draining = rc.setup.status && rc.setup.status->draining;
    if (req.path == "/readyz" && draining)
      ex->respond(json(503, "{\"status\":\"draining\"}"));
    else
      ex->respond(json(200, "{\"status\":\"ok\"}"));
    return done();
  }
  ex->respond(
      json(404, protocol::encode_error({}, error_code::bad_message,
                                       "no such endpoint: " + req.path)));
  done();
}

} // namespace

void serve_http(caf::actor_system& sys, const http_api_setup& setup,
                std::string principal, http_request req, http_exchange_ptr ex) {
  ex = metrics::count_http(setup.metrics,
                           metrics::http_operation(req.method, req.path),
                           std::move(ex));
  sys.spawn([rc = request_context{setup, std::move(principal), std::move(req),
                                  std::move(ex)}](
                caf::event_based_actor* self) mutable {
    route(self, std::move(rc));
  });
}

} // namespace switchboard::actors
