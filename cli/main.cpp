// switchboard-cli: a command-line client for the Switchboard server.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cli/check.hpp"
#include "cli/commands.hpp"
#include "cli/exit_code.hpp"

using namespace switchboard::cli;

namespace {

bool no_color_env() {
  auto* v = std::getenv("NO_COLOR");
  return v != nullptr && *v != '\0';
}

int fail(exit_code code, const std::string& message) {
  std::fprintf(stderr, "switchboard-cli: %s\n", message.c_str());
  return static_cast<int>(code);
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"Switchboard command-line client: start, watch, answer and "
               "stop tasks, call tools.",
               "switchboard-cli"};
  app.set_version_flag("--version",
                       std::string{"switchboard-cli "} + SWITCHBOARD_VERSION);
  app.require_subcommand(1);
  // Global options may follow the subcommand too (`start ticker --json`).
  app.fallthrough();

  global_options options;
  bool no_color = false;
  app.add_option("--server", options.server,
                 "the server's URL (default http://127.0.0.1:8080)")
      ->envname("SWITCHBOARD_URL");
  app.add_option("--token", options.token,
                 "bearer token for a server run with --tokens")
      ->envname("SWITCHBOARD_TOKEN");
  app.add_flag("--json", options.json,
               "one JSON object per line on stdout: the protocol's events "
               "and replies, unchanged");
  app.add_flag("--no-color", no_color,
               "no ANSI colours and no live progress line (also when "
               "NO_COLOR is set)");
  int reconnect_secs = 30;
  app.add_option("--reconnect-for", reconnect_secs,
                 "start/watch: seconds to keep reconnecting after losing "
                 "the connection (default 30, 0 gives up at once)")
      ->check(CLI::Range(0, 86400));
  watch_settings settings;

  std::function<exit_code()> command;

  auto* kinds = app.add_subcommand("kinds", "list the task kinds and their "
                                            "params");
  kinds->callback([&] { command = [&] { return run_kinds(options); }; });

  auto* tools = app.add_subcommand("tools", "list the tools and their args");
  tools->callback([&] { command = [&] { return run_tools(options); }; });

  tasks_filter filter;
  auto* tasks = app.add_subcommand("tasks", "list the task history, newest "
                                            "first");
  tasks->add_option("--state", filter.state,
                    "a state or comma-separated states (running, "
                    "waiting_input, completed, failed, cancelled)");
  tasks->add_option("--kind", filter.kind, "only tasks of this kind");
  tasks->add_option("--limit", filter.limit, "at most N tasks (1 to 1000)")
      ->check(CLI::Range(1, 1000));
  tasks->callback(
      [&] { command = [&] { return run_tasks(options, filter); }; });

  start_request start_req;
  std::string params_json;
  auto* start = app.add_subcommand(
      "start", "start a task and watch it to its end (or --detach)");
  start->add_option("kind", start_req.kind, "the task kind (see 'kinds')")
      ->required();
  start->add_option("params", start_req.pairs,
                    "params as key=value, typed by the kind's schema");
  auto* params_opt =
      start->add_option("--params", params_json, "params as one JSON object");
  start->add_flag("--detach,-d", start_req.detach,
                  "print the task id and return at once");
  start->add_option("--answers", settings.answers_file,
                    "answer input requests from this JSON file (see "
                    "docs/cli.md)");
  start->callback([&] {
    if (params_opt->count() > 0)
      start_req.params_json = params_json;
    command = [&] { return run_start(options, start_req, settings); };
  });

  std::string task_id;
  int64_t after = 0;
  auto* watch =
      app.add_subcommand("watch", "print a task's events until it ends");
  watch->add_option("id", task_id, "the task id")->required();
  watch->add_option("--after", after, "start after this seq (default 0)")
      ->check(CLI::NonNegativeNumber);
  watch->add_option("--answers", settings.answers_file,
                    "answer input requests from this JSON file (see "
                    "docs/cli.md)");
  watch->callback([&] {
    command = [&] { return run_watch(options, task_id, after, settings); };
  });

  std::string reason;
  auto* stop = app.add_subcommand("stop", "stop a task");
  stop->add_option("id", task_id, "the task id")->required();
  stop->add_option("--reason", reason, "why (shown in its stopped event)");
  stop->callback(
      [&] { command = [&] { return run_stop(options, task_id, reason); }; });

  std::vector<std::string> answer_words;
  auto* answer = app.add_subcommand(
      "answer", "answer a task's input request: ID [REQUEST_ID] VALUE "
                "(VALUE is JSON if it parses, else a string; REQUEST_ID "
                "defaults to the pending one)");
  answer->add_option("args", answer_words, "ID [REQUEST_ID] VALUE")
      ->required()
      ->expected(2, 3);
  answer->callback(
      [&] { command = [&] { return run_answer(options, answer_words); }; });

  call_request call_req;
  std::string args_json;
  auto* call = app.add_subcommand("call", "call a tool and print its result");
  call->add_option("tool", call_req.tool, "the tool (see 'tools')")->required();
  call->add_option("args", call_req.pairs,
                   "args as key=value, typed by the tool's schema");
  auto* args_opt =
      call->add_option("--args", args_json, "args as one JSON object");
  call->callback([&] {
    if (args_opt->count() > 0)
      call_req.args_json = args_json;
    command = [&] { return run_call(options, call_req); };
  });

  auto* events =
      app.add_subcommand("events", "print a task's log as far as it goes now");
  events->add_option("id", task_id, "the task id")->required();
  events->callback(
      [&] { command = [&] { return run_events(options, task_id); }; });

  auto* check = app.add_subcommand(
      "check", "smoke-test the server: one line per step, exit 0 when all "
               "pass");
  check->callback([&] { command = [&] { return run_check(options); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    auto parsed = app.get_subcommands();
    auto help = parsed.empty() ? std::string{"--help"}
                               : parsed.front()->get_name() + " --help";
    return fail(exit_code::usage,
                std::string{e.what()} + "; see 'switchboard-cli " + help + "'");
  }
  options.color = !no_color && !no_color_env() && !options.json &&
                  ::isatty(STDOUT_FILENO) == 1;
  options.reconnect_for = std::chrono::seconds(reconnect_secs);
  // The live line and the prompts need a terminal a person looks at;
  // NO_COLOR and --no-color ask for plain lines, as a pipe gets.
  settings.live = options.color;
  settings.prompt = settings.live && ::isatty(STDIN_FILENO) == 1;
  try {
    return static_cast<int>(command());
  } catch (const failure& f) {
    return fail(f.code(), f.what());
  } catch (const std::exception& e) {
    return fail(exit_code::failed, std::string{"internal error: "} + e.what());
  }
}
