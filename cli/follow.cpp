#include "cli/follow.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "cli/http_exchange.hpp"
#include "cli/progress.hpp"
#include "cli/prompt.hpp"
#include "cli/render.hpp"
#include "protocol/json.hpp"

namespace switchboard::cli {

namespace {

using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

constexpr milliseconds first_delay{200};
constexpr milliseconds max_delay{5000};

bool is_terminal_event(const std::string& type) {
  return type == "result" || type == "error" || type == "stopped";
}

exit_code exit_code_for_event(const std::string& type) {
  if (type == "error")
    return exit_code::failed;
  if (type == "stopped")
    return exit_code::stopped;
  return exit_code::ok;
}

std::string resume_hint(const std::string& task_id, int64_t last) {
  return "resume with: switchboard-cli watch " + task_id + " --after " +
         std::to_string(last);
}

// A new connection that continues where the old one stopped. The server
// replays every retained event after `last`, so nothing is skipped; the
// seq check in `follow_task` drops anything already printed.
std::unique_ptr<session> resubscribe(const global_options& options,
                                     const std::string& task_id, int64_t last) {
  auto s = std::make_unique<session>(options);
  auto reply =
      s->request("subscribe", "\"task_id\":" + protocol::quote(task_id) +
                                  ",\"after\":" + std::to_string(last));
  s->expect_success(reply);
  return s;
}

// Waits and reconnects until it works or `reconnect_for` has passed since
// the loss; only an unreachable server is worth waiting for, a refusal
// (token revoked, task gone) ends the command at once.
std::unique_ptr<session> reconnect(const global_options& options,
                                   const std::string& task_id, int64_t last,
                                   const std::string& why) {
  auto lost_at = clock_type::now();
  auto delay = first_delay;
  std::string last_error = why;
  for (int attempt = 1;; ++attempt) {
    if (clock_type::now() - lost_at + delay > options.reconnect_for) {
      auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                      options.reconnect_for)
                      .count();
      throw failure(exit_code::unreachable,
                    why +
                        (attempt > 1 ? "; gave up reconnecting after " +
                                           std::to_string(secs) + " s"
                                     : std::string{}) +
                        "; " + resume_hint(task_id, last));
    }
    std::fprintf(
        stderr, "switchboard-cli: %s; reconnecting in %lld ms (attempt %d)\n",
        last_error.c_str(), static_cast<long long>(delay.count()), attempt);
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, max_delay);
    try {
      auto s = resubscribe(options, task_id, last);
      std::fprintf(stderr,
                   "switchboard-cli: reconnected; resuming after #%lld\n",
                   static_cast<long long>(last));
      return s;
    } catch (const failure& f) {
      if (f.code() != exit_code::unreachable)
        throw;
      last_error = f.what();
    }
  }
}

// Shows the events of one followed task: plain lines, JSON lines, or a
// live progress line with the rest printed above it.
class event_view {
 public:
  event_view(const global_options& options, const follow_mode& mode)
      : options_(options), mode_(mode) {}

  void show(const message& m, const std::string& type) {
    if (options_.json) {
      session::print_raw(m);
      return;
    }
    if (!mode_.live) {
      print_out(event_line(m.doc, options_.color));
      return;
    }
    if (type == "progress") {
      bar_.update(m.doc);
      return;
    }
    // A request asked in place shows its own prompt instead of the line
    // that says how to answer it from another shell.
    if (type == "input_request" && mode_.prompt)
      return;
    if (is_terminal_event(type)) {
      bar_.finish();
      print_out(event_line(m.doc, options_.color));
      return;
    }
    bar_.print_above(event_line(m.doc, options_.color));
  }

  // A request that is no longer pending is not asked: it is shown as the
  // line a request gets elsewhere.
  void show_unasked(const message& m) {
    if (mode_.live && mode_.prompt && !options_.json)
      bar_.print_above(event_line(m.doc, options_.color));
  }

  void note(const std::string& text) {
    if (mode_.live)
      bar_.clear();
    std::fprintf(stderr, "switchboard-cli: %s\n", text.c_str());
  }

  void clear() {
    if (mode_.live)
      bar_.clear();
  }

 private:
  const global_options& options_;
  const follow_mode& mode_;
  progress_line bar_;
};

// Whether request `request_id` (event `seq`) may still be pending: a
// watch that starts late replays requests answered long ago, and nobody
// should be asked those again. A request is past when the task's log has
// gone on after it and it is not the pending one; when the snapshot cannot
// be had, the answer's own refusal (no_pending_input) says so later.
bool still_pending(const global_options& options, const std::string& task_id,
                   const std::string& request_id, int64_t seq) {
  try {
    auto res = http_get(parse_server_url(options.server), options.token,
                        "/api/tasks/" + path_segment(task_id));
    rapidjson::Document doc;
    protocol::parse_json(res.body, doc);
    if (res.status != 200 || !doc.IsObject())
      return true;
    auto pending = doc.FindMember("pending_input");
    if (pending != doc.MemberEnd() && pending->value.IsObject()) {
      auto id = pending->value.FindMember("request_id");
      if (id != pending->value.MemberEnd() && id->value.IsString() &&
          request_id == id->value.GetString())
        return true;
    }
    auto last = doc.FindMember("last_seq");
    return last == doc.MemberEnd() || !last->value.IsInt64() ||
           last->value.GetInt64() <= seq;
  } catch (const failure&) {
    return true;
  }
}

// Answers input request `m` of `task_id` from --answers or the terminal.
// The answer goes over HTTP on a connection of its own: a person may take
// longer to answer than the WebSocket survives without being read.
void answer_request(const global_options& options, const follow_mode& mode,
                    event_view& view, const std::string& task_id,
                    const message& m) {
  if (!mode.answers && !mode.prompt)
    return;
  auto request_id = m.field("request_id");
  auto seq = m.doc["seq"].GetInt64();
  if (!still_pending(options, task_id, request_id, seq)) {
    view.show_unasked(m);
    return;
  }
  std::optional<std::string> value;
  if (mode.answers)
    value = mode.answers->answer_for(m.doc);
  if (!value && mode.prompt) {
    view.clear();
    value = ask_on_terminal(m.doc);
  }
  if (!value)
    return;
  http_response res;
  try {
    res = http_post(parse_server_url(options.server), options.token,
                    "/api/tasks/" + path_segment(task_id) + "/input",
                    "{\"request_id\":" + protocol::quote(request_id) +
                        ",\"value\":" + *value + "}");
  } catch (const failure& f) {
    view.note(std::string{"could not answer "} + request_id + ": " + f.what() +
              "; answer with: switchboard-cli answer " + task_id + " " +
              request_id + " VALUE");
    return;
  }
  if (res.status == 200) {
    if (options.json)
      print_out(res.body);
    else if (!mode.live)
      view.note("answered " + request_id + ": " + *value);
    return;
  }
  rapidjson::Document doc;
  protocol::parse_json(res.body, doc);
  std::string why = "HTTP " + std::to_string(res.status);
  if (doc.IsObject() && doc.HasMember("code") && doc["code"].IsString())
    why = std::string{doc["code"].GetString()} +
          (doc.HasMember("message") && doc["message"].IsString()
               ? std::string{": "} + doc["message"].GetString()
               : std::string{});
  view.note("could not answer " + request_id + " with " + *value + ": " + why +
            "; answer with: switchboard-cli answer " + task_id + " " +
            request_id + " VALUE");
}

} // namespace

exit_code follow_task(const global_options& options, const follow_mode& mode,
                      std::unique_ptr<session> connected,
                      const std::string& task_id, int64_t after) {
  auto s = std::move(connected);
  event_view view{options, mode};
  int64_t last = after;
  for (;;) {
    try {
      if (!s)
        s = resubscribe(options, task_id, last);
      for (;;) {
        auto m = s->next();
        auto type = m.type();
        auto seq = m.doc.FindMember("seq");
        if (seq != m.doc.MemberEnd() && seq->value.IsInt64() &&
            m.field("task_id") == task_id && !m.doc.HasMember("reply_to")) {
          if (seq->value.GetInt64() <= last)
            continue;
          last = seq->value.GetInt64();
          view.show(m, type);
          if (is_terminal_event(type))
            return exit_code_for_event(type);
          if (type == "input_request")
            answer_request(options, mode, view, task_id, m);
        } else if (type == "shutdown") {
          if (options.json)
            session::print_raw(m);
          else
            view.note("the server is shutting down; following the task to "
                      "its end");
        } else if (type == "error") {
          if (options.json)
            session::print_raw(m);
          view.note(m.field("code") + ": " + m.field("message"));
        }
      }
    } catch (const failure& f) {
      if (f.code() != exit_code::unreachable)
        throw;
      s.reset();
      view.clear();
      s = reconnect(options, task_id, last, f.what());
    }
  }
}

} // namespace switchboard::cli
