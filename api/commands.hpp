#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/interfaces.hpp"
#include "actors/server_status.hpp"
#include "api/reply.hpp"
#include "flows/catalog.hpp"
#include "metrics/registry.hpp"
#include "protocol/command.hpp"
#include "protocol/encoder.hpp"

namespace switchboard::api {

/// What commands run against, and on whose behalf.
struct scope {
  /// Where tasks are created and found.
  actors::task_manager_actor manager;
  /// Where tools are listed and called.
  actors::tool_registry_actor registry;
  /// How long to wait for the other actors.
  std::chrono::milliseconds request_timeout{30000};
  /// Shared drain state and the node's description (may be null in tests).
  std::shared_ptr<const actors::server_status> status;
  /// Where the node's task totals are read (null: all zero).
  metrics::registry_ptr metrics;
  /// Who sends the commands (derived from the token; empty without auth).
  std::string principal;
  /// The key under which the registry keeps this caller's tool-call ids.
  std::string caller;
};

/// How long a client's tool call may run before it is cancelled.
inline constexpr std::chrono::minutes tool_call_timeout{10};

/// Returns the reply to `start`: the task's id, its kind and the URL of its
/// SSE stream; it created the task's resource.
reply start_success(std::string_view reply_to, const std::string& task_id,
                    std::string_view kind);

/// Returns the reply to `get_status`: the node at a glance.
reply status_reply(std::string_view reply_to, const scope& sc);

/// Runs `cmd` for `sc` from the actor `self` without blocking it, and calls
/// `done(reply)` exactly once with its reply. The one implementation of the
/// commands for both doors (the WebSocket session and the HTTP API).
/// `cached` is the task's handle if the caller knows it already (it saves
/// asking the manager).
template<class Self, class Done>
void run(Self* self, const scope& sc, const protocol::command& cmd, Done done,
         actors::task_actor cached = {}) {
  using protocol::command_type;
  using protocol::message_type;
  using protocol::message_writer;
  namespace a = actors;
  auto id = cmd.id;
  auto timeout = sc.request_timeout;
  auto fail = [done, id](caf::error& err) mutable { done(failure(id, err)); };
  // Runs `f` with the task's handle; the manager's refusal is the reply.
  auto with_task = [&](auto f) {
    if (cached) {
      f(cached);
      return;
    }
    self->request(sc.manager, timeout, a::get_atom::value, cmd.task_id,
                  sc.principal)
        .then([f](a::task_actor& t) mutable { f(t); }, fail);
  };
  switch (cmd.type) {
  case command_type::start: {
    auto kind = cmd.task;
    self->request(sc.manager, timeout, a::start_atom::value, cmd.task,
                  cmd.params, sc.principal)
        .then(
            [=](std::string& task_id, a::task_actor&) mutable {
              done(start_success(id, task_id, kind));
            },
            fail);
    return;
  }
  case command_type::stop:
    with_task([=, task_id = cmd.task_id,
               reason = cmd.reason](a::task_actor& t) mutable {
      self->request(t, timeout, a::stop_atom::value, reason)
          .then(
              [=](std::string& state) mutable {
                done(success(message_type::stop_success,
                             message_writer{message_type::stop_success, id}
                                 .str("task_id", task_id)
                                 .str("state", state)
                                 .finish()));
              },
              fail);
    });
    return;
  case command_type::input:
    with_task([=, task_id = cmd.task_id, request_id = cmd.request_id,
               value = cmd.value](a::task_actor& t) mutable {
      self->request(t, timeout, a::input_atom::value, request_id, value)
          .then(
              [=](a::ok_atom) mutable {
                done(success(message_type::input_success,
                             message_writer{message_type::input_success, id}
                                 .str("task_id", task_id)
                                 .str("request_id", request_id)
                                 .finish()));
              },
              fail);
    });
    return;
  case command_type::list_tools:
    self->request(sc.registry, timeout, a::list_atom::value)
        .then(
            [=](std::vector<protocol::tool_info>& tools) mutable {
              done(success(message_type::tools,
                           protocol::encode_tools(id, tools)));
            },
            fail);
    return;
  case command_type::call_tool: {
    if (sc.status && sc.status->draining) {
      done(failure(id, protocol::error_code::shutting_down,
                   "the server is shutting down"));
      return;
    }
    auto call_id = cmd.call_id;
    self->request(sc.registry, tool_call_timeout, a::call_atom::value,
                  sc.caller, call_id, cmd.tool, cmd.args)
        .then(
            [=](std::string& result) mutable {
              done(success(message_type::tool_result,
                           message_writer{message_type::tool_result, id}
                               .str("call_id", call_id)
                               .raw("result", result)
                               .finish()));
            },
            [=, reg = sc.registry,
             caller = sc.caller](caf::error& err) mutable {
              // Nobody waits for the result any more: free its worker.
              if (err == caf::sec::request_timeout)
                self->send(reg, a::cancel_atom::value, caller, call_id);
              fail(err);
            });
    return;
  }
  case command_type::list_tasks:
    self->request(sc.manager, timeout, a::list_atom::value, sc.principal,
                  cmd.filter, cmd.limit, cmd.cursor)
        .then(
            [=](std::vector<protocol::task_info>& tasks,
                std::string& next) mutable {
              done(success(message_type::tasks,
                           protocol::encode_tasks(id, tasks, next)));
            },
            fail);
    return;
  case command_type::list_kinds:
    done(success(message_type::kinds, message_writer{message_type::kinds, id}
                                          .raw("kinds", flows::kinds_json())
                                          .finish()));
    return;
  case command_type::ping:
    done(success(message_type::pong, message_writer{message_type::pong, id}
                                         .num("ts", protocol::now_ms())
                                         .finish()));
    return;
  case command_type::get_status: done(status_reply(id, sc)); return;
  case command_type::subscribe:
  case command_type::unsubscribe: break;
  }
  // A door handed over a command that is its own to serve: a bug of ours.
  done(failure(id, protocol::error_code::internal,
               "this command is not served here"));
}

} // namespace switchboard::api
