#include "actors/task.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "log/logger.hpp"
#include "protocol/json.hpp"
#include "tools/workspace.hpp"

namespace switchboard::actors {

using protocol::error_code;
using protocol::event_type;
using protocol::message_writer;
using protocol::task_status;

namespace {

// Returns the progress event `f` with `"skipped": n` added.
// (The encoder wrote `f` as one object; splicing a field in saves encoding
// the event again.)
protocol::frame with_skipped(const protocol::frame& f, uint64_t n) {
  SB_CHECK(f && !f->empty() && f->back() == '}');
  std::string text{*f, 0, f->size() - 1}; // Without the closing brace.
  text += ",\"skipped\":";
  text += std::to_string(n);
  text += '}';
  return protocol::make_frame(std::move(text));
}

} // namespace

template<class F>
void task_state::emit(event_type type, F&& fill) {
  auto seq = next_seq++;
  last_event_at = self->clock().now();
  message_writer w{protocol::to_string(type)};
  w.str("task_id", setup.id).unum("seq", seq).num("ts", protocol::now_ms());
  fill(w);
  events.push_back(log_entry{seq, type, protocol::make_frame(w.finish())});
  probe.emitted();
  if (stored()) {
    if (unsaved.events.empty())
      unsaved.events.emplace_back(setup.id, std::vector<store::new_event>{});
    unsaved.events.back().second.push_back(
        store::new_event{seq, protocol::to_string(type), events.back().frame});
  }
  if (events.size() > setup.limits.max_log)
    events.pop_front();
  // Subscribers get it from the log in `deliver`, once the handler is done.
}

void task_state::collect(subscriber& s, std::vector<event_frame>& out) {
  auto upto = visible();
  if (s.sent >= upto)
    return;
  auto first = events.front().seq;
  // `push` handles a subscriber behind the log (a gap) before collecting.
  SB_CHECK(s.sent + 1 >= first);
  // Coalescing applies only to a subscriber that cannot take everything
  // pending now: one that keeps up sees every event.
  auto thin = s.coalesce && upto - s.sent > s.credit;
  while (s.credit > 0 && s.sent < upto) {
    auto i = s.sent + 1 - first;
    auto& e = events[i];
    ++s.sent;
    if (thin && e.type == event_type::progress && e.seq < upto &&
        events[i + 1].type == event_type::progress) {
      ++s.skipped;
      continue;
    }
    if (s.skipped > 0) {
      // The run's last event is always a progress event that is sent.
      out.push_back(
          event_frame{e.seq, e.type, with_skipped(e.frame, s.skipped)});
      s.skipped = 0;
    } else {
      out.push_back(event_frame{e.seq, e.type, e.frame});
    }
    --s.credit;
  }
}

void task_state::push(subscriber& s) {
  if (s.credit == 0 || s.sent >= visible() || s.reading)
    return;
  auto first = events.empty() ? next_seq : events.front().seq;
  if (s.sent + 1 < first && stored()) {
    read_from_store(s);
    return;
  }
  if (s.sent + 1 < first) {
    // Fell behind the log's window: say so, then go on from the oldest
    // retained event (as a resume with an expired `after` does).
    self->send(s.sink, gap_atom::value, setup.id, s.sent, snapshot());
    s.sent = first - 1;
    s.skipped = 0;
  }
  std::vector<event_frame> batch;
  collect(s, batch);
  if (!batch.empty())
    self->send(s.sink, event_atom::value, setup.id, std::move(batch),
               terminal && s.sent == last_seq());
}

void task_state::deliver() {
  save();
  for (auto& s : subscribers)
    push(s);
  drop_finished_subscribers();
  report_finished();
}

void task_state::drop_finished_subscribers() {
  if (!terminal)
    return;
  auto i = std::remove_if(subscribers.begin(), subscribers.end(),
                          [&](const subscriber& s) {
                            if (s.sent < last_seq())
                              return false;
                            self->demonitor(s.sink.address());
                            return true;
                          });
  subscribers.erase(i, subscribers.end());
}

store::task_row task_state::row() const {
  return store::task_row{
      setup.id,         kind_name,     setup.params,
      setup.owner,      setup.node,    std::string{protocol::to_string(state)},
      setup.created_ms, ended_ms,      last_seq(),
      end_json,         progress_json, setup.ordinal};
}

void task_state::save() {
  if (!stored())
    return;
  if (saved_state != state) {
    unsaved.tasks.push_back(row());
    saved_state = state;
  }
  // One append in flight per task: what is emitted meanwhile goes in the
  // next one, so the writer's mailbox holds at most one message per task.
  if (unsaved.empty() || saving)
    return;
  saving = true;
  auto upto = last_seq();
  auto b = std::move(unsaved);
  unsaved = store::batch{};
  self->request(setup.store, caf::infinite, store::append_atom::value,
                std::move(b))
      .then(
          [this, upto](std::string& err) {
            saving = false;
            if (!err.empty())
              return storage_failed(err);
            durable_seq = upto;
            deliver();
            for (auto& f : std::exchange(first_commit, {}))
              f();
            // A flow held back while the store was behind goes on.
            if (auto token = std::exchange(held_resume, std::nullopt);
                token && !terminal && *token == wait_token &&
                ctx->slot().handle)
              resume(ctx->slot().handle);
          },
          [this](caf::error& err) {
            saving = false;
            storage_failed(caf::to_string(err));
          });
}

bool task_state::store_behind() const {
  if (!stored() || !saving || unsaved.events.empty())
    return false;
  return unsaved.events.front().second.size() >= event_window;
}

void task_state::storage_failed(const std::string& why) {
  if (store_failed)
    return;
  store_failed = true;
  unsaved = store::batch{};
  log::error("task history write failed",
             {{"task_id", setup.id}, {"error", why}});
  // The task can no longer promise that what it sends is kept: end it,
  // and let its watchers have everything it holds in memory.
  if (!terminal)
    abort("",
          flows::flow_failure{error_code::storage_unavailable,
                              "the task history cannot be written: " + why});
  deliver();
  for (auto& f : std::exchange(first_commit, {}))
    f();
}

void task_state::read_from_store(subscriber& s) {
  s.reading = true;
  auto token = ++s.read_token;
  auto n = std::min<uint64_t>(s.credit, event_window);
  auto sink = s.sink;
  self->request(setup.store, std::chrono::seconds(30), store::read_atom::value,
                setup.id, s.sent, n)
      .then(
          [this, sink, token](std::vector<store::event_row>& rows) {
            on_store_rows(sink, token, std::move(rows));
          },
          [this, sink, token](caf::error&) { on_store_rows(sink, token, {}); });
}

void task_state::on_store_rows(const event_sink& sink, uint64_t token,
                               std::vector<store::event_row> rows) {
  auto* s = find_subscriber(sink);
  if (!s || s->read_token != token)
    return;
  s->reading = false;
  auto upto = visible();
  auto start = s->sent;
  std::vector<event_frame> out;
  // Each row's type, parsed once; rows past the end or past what may be
  // sent have none.
  std::vector<std::optional<event_type>> types(rows.size() + 1);
  for (size_t i = 0; i < rows.size() && rows[i].seq <= upto; ++i)
    types[i] = protocol::event_type_from_string(rows[i].type);
  for (size_t i = 0; i < rows.size(); ++i) {
    auto& r = rows[i];
    if (r.seq != s->sent + 1 || s->credit == 0 || !types[i])
      break;
    auto type = *types[i];
    s->sent = r.seq;
    // A reader this far behind is behind by definition: with coalescing,
    // of a run of progress events only the last one read goes out.
    if (s->coalesce && type == event_type::progress &&
        types[i + 1] == event_type::progress) {
      ++s->skipped;
      continue;
    }
    auto frame = protocol::make_frame(std::move(r.data));
    if (s->skipped > 0) {
      frame = with_skipped(frame, s->skipped);
      s->skipped = 0;
    }
    out.push_back(event_frame{r.seq, type, std::move(frame)});
    --s->credit;
  }
  if (rows.empty() || rows.front().seq != start + 1) {
    // Retention deleted what it had not seen, or the store failed: say so
    // and go on from the oldest event in memory.
    auto first = events.empty() ? next_seq : events.front().seq;
    if (s->sent + 1 < first) {
      self->send(s->sink, gap_atom::value, setup.id, s->sent, snapshot());
      s->sent = first - 1;
      s->skipped = 0;
    }
  } else if (!out.empty()) {
    self->send(s->sink, event_atom::value, setup.id, std::move(out),
               terminal && s->sent == last_seq());
  }
  push(*s);
  drop_finished_subscribers();
}

task_state::subscriber* task_state::find_subscriber(const event_sink& sink) {
  for (auto& s : subscribers)
    if (s.sink == sink)
      return &s;
  return nullptr;
}

void task_state::progress(int64_t step, int64_t total,
                          std::string_view message) {
  probe.progress();
  emit(event_type::progress, [&](message_writer& w) {
    w.num("step", step);
    if (total < 0)
      w.null("total");
    else
      w.num("total", total);
    w.str("message", message);
  });
  protocol::object_writer p;
  p.num("step", step);
  if (total < 0)
    p.null("total");
  else
    p.num("total", total);
  progress_json = p.str("message", message).finish();
}

void task_state::log(std::string_view level, std::string_view message) {
  emit(event_type::log, [&](message_writer& w) {
    w.str("level", level).str("message", message);
  });
}

void task_state::call_tool(std::string tool, std::string args,
                           flows::wait_slot&) {
  auto call_id = "c" + std::to_string(++call_counter);
  emit(event_type::tool_call, [&](message_writer& w) {
    w.str("call_id", call_id).str("tool", tool).raw("args", args);
  });
  auto token = ++wait_token;
  tool_call_id = call_id;
  auto on_reply = [this, token, call_id](flows::tool_reply reply) {
    if (terminal || token != wait_token || !ctx->slot().handle)
      return;
    tool_call_id.reset();
    emit(event_type::tool_result, [&](message_writer& w) {
      w.str("call_id", call_id).boolean("ok", reply.ok);
      if (!reply.ok) {
        w.key("error");
        auto& raw = w.writer();
        raw.StartObject();
        raw.Key("code");
        auto code = protocol::to_string(reply.code);
        raw.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
        raw.Key("message");
        raw.String(reply.message.data(),
                   static_cast<rapidjson::SizeType>(reply.message.size()));
        raw.EndObject();
      } else if (reply.result.size() > setup.limits.max_event_result_bytes) {
        w.raw("result", protocol::object_writer{}
                            .boolean("truncated", true)
                            .unum("bytes", reply.result.size())
                            .finish());
      } else {
        w.raw("result", reply.result);
      }
    });
    ctx->slot().reply = std::move(reply);
    resume(ctx->slot().handle);
  };
  self->request(setup.registry, setup.limits.tool_timeout, call_atom::value,
                setup.id, call_id, std::move(tool), std::move(args))
      .then(
          [on_reply](std::string& result) {
            on_reply(flows::tool_reply{
                true, std::move(result), error_code::none, {}});
          },
          [this, on_reply, call_id](caf::error& err) {
            // Our timeout ends the wait, not the work: stop the worker too.
            if (err == caf::sec::request_timeout && tool_call_id == call_id)
              cancel_tool_call();
            auto info = describe(err);
            on_reply(flows::tool_reply{false, {}, info.code, info.message});
          });
}

void task_state::ask(std::string prompt, std::string schema_text,
                     std::chrono::milliseconds timeout, std::string context,
                     flows::wait_slot& slot) {
  auto compiled = protocol::schema::compile(schema_text);
  auto request_id = "r-" + std::to_string(++request_counter);
  auto token = ++wait_token;
  auto bad = [&](std::string why) {
    // A flow's own bug: fail the task rather than wait forever.
    slot.failure = flows::flow_failure{error_code::internal, std::move(why)};
    self->send(self, resume_atom::value, token);
  };
  if (auto* reason = std::get_if<std::string>(&compiled))
    return bad("bad input schema: " + *reason);
  if (!context.empty()) {
    // It goes on the wire as is: it must be one JSON object.
    rapidjson::Document doc;
    if (protocol::parse_json(context, doc).code != error_code::none ||
        !doc.IsObject())
      return bad("bad input context: it must be a JSON object");
  }
  input = pending_input{request_id,
                        prompt,
                        schema_text,
                        std::get<protocol::schema>(compiled),
                        static_cast<int64_t>(timeout.count()),
                        std::move(context),
                        protocol::now_ms()};
  state = task_status::waiting_input;
  probe.waiting();
  emit(event_type::input_request, [&](message_writer& w) {
    w.str("request_id", request_id)
        .str("prompt", prompt)
        .raw("schema", schema_text)
        .num("timeout_ms", timeout.count());
    if (!input->context.empty())
      w.raw("context", input->context);
  });
  self->delayed_send(self, timeout, timeout_atom::value, token);
}

void task_state::sleep(std::chrono::milliseconds delay, flows::wait_slot&) {
  auto token = ++wait_token;
  if (delay.count() == 0)
    self->send(self, resume_atom::value, token);
  else
    self->delayed_send(self, delay, resume_atom::value, token);
}

void task_state::resume(std::coroutine_handle<> h) {
  if (h)
    h.resume();
  if (!terminal && coro.done())
    finish();
  deliver();
}

void task_state::end(event_type type, task_status final_state,
                     const std::function<void(message_writer&)>& fill,
                     std::string json) {
  terminal = true;
  state_before_end = state;
  state = final_state;
  ended_ms = protocol::now_ms();
  probe.finished(final_state);
  log::info("task ended",
            {{"task_id", setup.id},
             {"kind", kind_name},
             {"state", protocol::to_string(final_state)},
             {"duration_ms", protocol::now_ms() - setup.created_ms}});
  input.reset();
  end_json = std::move(json);
  emit(type, fill);
  // Subscribers that are behind keep reading to the terminal event.
  deliver();
}

void task_state::report_finished() {
  // Once the terminal event is out (committed, and sent to whoever is
  // caught up): a drain that waits for the manager then closes sessions
  // that already hold it.
  if (!terminal || reported || visible() < last_seq() || setup.archived)
    return;
  reported = true;
  if (setup.manager) {
    // What this finished task pins, so the manager can keep the sum of all
    // finished tasks under its budget (64 bytes: a log entry's overhead).
    uint64_t bytes = setup.params.size() + end_json.size() +
                     (stop_reason ? stop_reason->size() : 0);
    for (auto& e : events)
      bytes += e.frame->size() + 64;
    self->send(setup.manager, finished_atom::value, setup.id, bytes);
  }
  self->delayed_send(self, setup.limits.retention, expire_atom::value);
}

void task_state::cancel_tool_call() {
  if (!tool_call_id)
    return;
  if (setup.registry)
    self->send(setup.registry, cancel_atom::value, setup.id, *tool_call_id);
  tool_call_id.reset();
}

void task_state::abort(std::string reason,
                       std::optional<flows::flow_failure> failure) {
  if (terminal)
    return;
  cancel_tool_call();
  stop_reason = std::move(reason);
  abort_failure = std::move(failure);
  input.reset();
  ++wait_token;
  if (started && ctx->slot().handle)
    resume(ctx->slot().handle);
  if (!terminal)
    finish();
}

void task_state::finish() {
  if (terminal)
    return;
  std::string result;
  std::optional<flows::flow_failure> failure;
  if (!stop_reason && coro) {
    auto& p = coro.promise();
    if (p.error) {
      try {
        std::rethrow_exception(p.error);
      } catch (const flows::flow_cancelled& c) {
        if (!stop_reason)
          stop_reason = c.reason;
      } catch (const flows::flow_failure& f) {
        failure = f;
      } catch (const std::exception& e) {
        failure = flows::flow_failure{error_code::internal, e.what()};
      } catch (...) {
        failure = flows::flow_failure{error_code::internal,
                                      "flow threw an unknown exception"};
      }
    } else {
      result = std::move(p.result);
    }
  }
  coro.reset();
  if (abort_failure) {
    failure = abort_failure;
    stop_reason.reset();
  }
  if (stop_reason) {
    auto reason = *stop_reason;
    end(
        event_type::stopped, task_status::cancelled,
        [&](message_writer& w) { w.str("reason", reason); },
        protocol::object_writer{}.str("reason", reason).finish());
  } else if (failure) {
    auto code = protocol::to_string(failure->code);
    auto msg = failure->message;
    end(
        event_type::error, task_status::failed,
        [&](message_writer& w) { w.str("code", code).str("message", msg); },
        protocol::object_writer{}
            .str("code", code)
            .str("message", msg)
            .finish());
  } else {
    if (result.empty())
      result = "null";
    end(
        event_type::result, task_status::completed,
        [&](message_writer& w) { w.raw("data", result); }, result);
  }
}

protocol::task_info task_state::info() const {
  auto shown = shown_state();
  return protocol::task_info{
      setup.id,         kind_name,    std::string{protocol::to_string(shown)},
      setup.created_ms, visible(),    shown == state ? ended_ms : 0,
      setup.node,       setup.ordinal};
}

std::string task_state::snapshot() const {
  auto shown = shown_state();
  message_writer w{"task"};
  w.str("task_id", setup.id)
      .str("task", kind_name)
      .str("state", protocol::to_string(shown))
      .raw("params", setup.params)
      .num("created_ms", setup.created_ms)
      .unum("last_seq", visible())
      .raw("progress", progress_json);
  if (input) {
    w.key("pending_input");
    auto& raw = w.writer();
    raw.StartObject();
    raw.Key("request_id");
    raw.String(input->request_id.c_str());
    raw.Key("prompt");
    raw.String(input->prompt.c_str());
    raw.Key("schema");
    raw.RawValue(input->schema_text.data(), input->schema_text.size(),
                 rapidjson::kObjectType);
    raw.Key("timeout_ms");
    raw.Int64(input->timeout_ms);
    if (!input->context.empty()) {
      raw.Key("context");
      raw.RawValue(input->context.data(), input->context.size(),
                   rapidjson::kObjectType);
    }
    raw.Key("ts");
    raw.Int64(input->ts);
    raw.EndObject();
  } else {
    w.null("pending_input");
  }
  if (shown == task_status::completed)
    w.raw("result", end_json);
  else if (shown == task_status::failed)
    w.raw("error", end_json);
  else if (shown == task_status::cancelled)
    w.raw("stopped", end_json);
  return w.finish();
}

subscription task_state::subscribe(const event_sink& sink, uint64_t after,
                                   bool coalesce) {
  subscription sub;
  sub.task_id = setup.id;
  sub.task = caf::actor_cast<caf::strong_actor_ptr>(self);
  sub.state = protocol::to_string(shown_state());
  auto first = events.empty() ? next_seq : events.front().seq;
  auto cursor = after;
  // Written so that after = 2^64-1 cannot overflow into a bogus gap.
  auto behind = first > 0 && after < first - 1;
  // The store has what fell out of the log: the subscriber reads it
  // from there as it grants credit.
  auto from_store = behind && stored();
  if (behind && !from_store) {
    sub.expired = true;
    sub.snapshot = snapshot();
    cursor = first - 1;
  } else if (ended_visibly() && after > last_seq()) {
    // Resumed past the end of a finished task: the snapshot tells the
    // client how it ended.
    sub.snapshot = snapshot();
  }
  // One window now; the rest as the subscriber grants credit.
  task_state::subscriber cur{sink, cursor, event_window, coalesce};
  if (!from_store)
    collect(cur, sub.backlog);
  sub.last_seq = cur.sent;
  sub.ended = ended_visibly() && cur.sent >= last_seq();
  if (!sub.ended) {
    auto* s = find_subscriber(sink);
    if (!s) {
      self->monitor(sink);
      subscribers.push_back(task_state::subscriber{sink});
      s = &subscribers.back();
    }
    // A cursor past the end follows from the end: the subscriber
    // skips what it has, but sees the terminal event go by (and what is
    // not saved yet, so that it gets the terminal event once it is).
    s->sent = std::min(cur.sent, visible());
    s->credit = cur.credit;
    s->coalesce = coalesce;
    s->skipped = 0;
    s->reading = false;
    ++s->read_token;
    if (from_store)
      push(*s);
  } else if (auto* s = find_subscriber(sink)) {
    // This reply ends the subscription: the old cursor is done.
    s->sent = last_seq();
    drop_finished_subscribers();
  }
  return sub;
}

task_actor::behavior_type task(task_actor::stateful_pointer<task_state> self,
                               task_setup setup) {
  auto& st = self->state;
  st.self = self;
  st.setup = std::move(setup);
  // A bug in a handler still ends the task explicitly for its watchers.
  on_exception(self, [self](const std::string& what) {
    self->state.abort("", flows::flow_failure{error_code::internal, what});
  });
  st.unwatched_since = self->clock().now();
  if (auto& row = st.setup.archived) {
    // A finished task from the history: its log stays in the store.
    st.kind_name = row->kind;
    st.state = protocol::task_status_from_string(row->state)
                   .value_or(task_status::failed);
    st.terminal = true;
    st.started = true;
    st.next_seq = row->last_seq + 1;
    st.durable_seq = row->last_seq;
    st.ended_ms = row->ended_ms;
    st.end_json = row->outcome.empty() ? "null" : row->outcome;
    st.progress_json = row->progress.empty() ? "null" : row->progress;
    st.saved_state = st.state;
    self->delayed_send(self, st.setup.limits.retention, expire_atom::value);
  } else {
    st.kind_name = st.setup.kind->name;
    rapidjson::Document params;
    protocol::parse_json(st.setup.params, params);
    st.ctx = std::make_unique<flows::context>(st, st.setup.id, params,
                                              *st.setup.workspace);
    st.coro = st.setup.kind->run(*st.ctx);
    st.probe.start(st.setup.metrics, st.kind_name);
    log::info("task started",
              {{"task_id", st.setup.id}, {"kind", st.kind_name}});
    st.emit(event_type::started, [&](message_writer& w) {
      w.str("task", st.kind_name).raw("params", st.setup.params);
    });
    self->send(self, resume_atom::value, uint64_t{0});
  }
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& subs = self->state.subscribers;
    subs.erase(std::remove_if(subs.begin(), subs.end(),
                              [&](const task_state::subscriber& s) {
                                return s.sink.address() == dm.source;
                              }),
               subs.end());
    if (subs.empty())
      self->state.unwatched_since = self->clock().now();
  });
  return {
      [=](subscribe_atom, event_sink& sink, uint64_t after,
          bool coalesce) -> caf::result<subscription> {
        auto& st = self->state;
        if (!st.visible_yet()) {
          // Not committed yet: the task becomes visible (its `started`
          // event, its record in the history) with its first commit.
          auto promise = self->make_response_promise<subscription>();
          st.first_commit.push_back([=]() mutable {
            promise.deliver(self->state.subscribe(sink, after, coalesce));
          });
          return promise;
        }
        return st.subscribe(sink, after, coalesce);
      },
      [=](credit_atom, const event_sink& sink, uint64_t n) {
        auto& st = self->state;
        if (auto* s = st.find_subscriber(sink)) {
          s->credit = std::min(s->credit + n, 2 * event_window);
          st.push(*s);
          st.drop_finished_subscribers();
        }
      },
      [=](unsubscribe_atom, const event_sink& sink) {
        auto& subs = self->state.subscribers;
        auto i = std::find_if(subs.begin(), subs.end(),
                              [&](auto& s) { return s.sink == sink; });
        if (i != subs.end()) {
          self->demonitor(i->sink.address());
          subs.erase(i);
          if (subs.empty())
            self->state.unwatched_since = self->clock().now();
        }
      },
      [=](stop_atom, std::string& reason) -> caf::result<std::string> {
        auto& st = self->state;
        // The reason is kept in the log and the snapshot: bound what a
        // client can make a task pin.
        if (reason.size() > max_stop_reason_bytes)
          return make_error(error_code::bad_message,
                            "the reason is longer than " +
                                std::to_string(max_stop_reason_bytes) +
                                " bytes");
        st.abort(reason.empty() ? std::string{"stopped"} : reason,
                 std::nullopt);
        return std::string{protocol::to_string(st.state)};
      },
      [=](input_atom, std::string& request_id,
          std::string& value) -> caf::result<ok_atom> {
        auto& st = self->state;
        if (st.terminal || !st.input || st.input->request_id != request_id)
          return make_error(error_code::no_pending_input,
                            "task " + st.setup.id + " has no pending request " +
                                request_id);
        rapidjson::Document doc;
        if (auto ps = protocol::parse_json(value, doc);
            ps.code != error_code::none)
          return make_error(error_code::invalid_input, ps.message);
        if (auto reason = st.input->schema.validate(doc); !reason.empty())
          return make_error(error_code::invalid_input, reason);
        st.input.reset();
        st.state = task_status::running;
        st.probe.resumed(metrics::input_outcome::answered);
        ++st.wait_token;
        st.emit(event_type::input_received, [&](message_writer& w) {
          w.str("request_id", request_id).raw("value", value);
        });
        st.ctx->slot().value = std::move(value);
        st.resume(st.ctx->slot().handle);
        return ok_atom::value;
      },
      [=](get_atom) -> caf::result<protocol::task_info> {
        auto& st = self->state;
        if (!st.visible_yet()) {
          auto promise = self->make_response_promise<protocol::task_info>();
          st.first_commit.push_back(
              [=]() mutable { promise.deliver(self->state.info()); });
          return promise;
        }
        return st.info();
      },
      [=](snapshot_atom) { return self->state.snapshot(); },
      [=](resume_atom, uint64_t token) {
        auto& st = self->state;
        if (st.terminal)
          return;
        if (!st.started) {
          st.started = true;
          st.coro.start();
          if (!st.terminal && st.coro.done())
            st.finish();
          st.deliver();
          return;
        }
        if (token != st.wait_token || !st.ctx->slot().handle)
          return;
        if (st.store_behind()) {
          // A flow that emits faster than the store commits waits for the
          // commit: memory stays bounded and the store keeps up.
          st.held_resume = token;
          return;
        }
        st.resume(st.ctx->slot().handle);
      },
      [=](timeout_atom, uint64_t token) {
        auto& st = self->state;
        if (st.terminal || !st.input || token != st.wait_token)
          return;
        auto msg = "no answer to " + st.input->request_id + " within " +
                   std::to_string(st.input->timeout_ms) + " ms";
        st.input.reset();
        st.state = task_status::running;
        st.probe.resumed(metrics::input_outcome::timeout);
        st.ctx->slot().failure = flows::flow_failure{error_code::timeout, msg};
        st.resume(st.ctx->slot().handle);
      },
      [=](expire_atom) {
        // Retention (or the byte budget) ends the task while some
        // subscribers are still behind: tell them what they missed and
        // give them the terminal event, so that every watcher sees the end.
        auto& st = self->state;
        if (st.stored() && !st.subscribers.empty()) {
          // They read the rest from the store: keep serving them.
          self->delayed_send(self, st.setup.limits.retention,
                             expire_atom::value);
          return;
        }
        if (st.terminal && !st.events.empty())
          for (auto& s : st.subscribers)
            if (s.sent < st.last_seq()) {
              if (s.sent + 1 < st.last_seq())
                self->send(s.sink, gap_atom::value, st.setup.id, s.sent,
                           st.snapshot());
              auto& last = st.events.back();
              self->send(
                  s.sink, event_atom::value, st.setup.id,
                  std::vector<event_frame>{{last.seq, last.type, last.frame}},
                  true);
            }
        self->quit();
      },
      [=](sweep_atom) {
        auto& st = self->state;
        if (st.terminal)
          return;
        auto now = self->clock().now();
        auto& lim = st.setup.limits;
        if (lim.stale_after.count() > 0 && st.state == task_status::running &&
            now - st.last_event_at >= lim.stale_after) {
          auto msg =
              "no event for " + std::to_string(lim.stale_after.count()) + " ms";
          st.abort("stale", flows::flow_failure{error_code::timeout, msg});
          return;
        }
        if (lim.orphan_after.count() > 0 && st.subscribers.empty() &&
            now - st.unwatched_since >= lim.orphan_after)
          st.abort("orphaned", std::nullopt);
      },
  };
}

} // namespace switchboard::actors
