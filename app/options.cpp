#include "app/options.hpp"

#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "util/split.hpp"

namespace switchboard::app {

namespace {

using setter = std::function<std::string(options&, const std::string&)>;

template<class T>
setter number(T options::*member, T min, T max) {
  return [=](options& o, const std::string& v) -> std::string {
    T x{};
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc{} || ptr != v.data() + v.size())
      return "not a number: '" + v + "'";
    if (x < min || x > max)
      return "out of range [" + std::to_string(min) + ", " +
             std::to_string(max) + "]: " + v;
    o.*member = x;
    return {};
  };
}

setter text(std::string options::*member) {
  return [=](options& o, const std::string& v) -> std::string {
    if (v.empty())
      return "must not be empty";
    o.*member = v;
    return {};
  };
}

setter list(std::vector<std::string> options::*member) {
  return [=](options& o, const std::string& v) -> std::string {
    for (auto& item : util::split_list(v))
      (o.*member).push_back(std::move(item));
    return {};
  };
}

// Bearer tokens: an empty list or an empty or blank token would silently
// turn authentication off or accept nothing, so both are refused.
setter token_list(std::vector<std::string> options::*member) {
  return [=](options& o, const std::string& v) -> std::string {
    auto items = util::split(v, ',');
    for (size_t k = 0; k < items.size(); ++k) {
      auto& item = items[k];
      if (item.find_first_not_of(" \t\r\n") == std::string::npos)
        return "token " + std::to_string(k + 1) +
               " is empty; list at least one non-blank token";
      if (item.find_first_of(" \t\r\n") != std::string::npos)
        return "token " + std::to_string(k + 1) + " contains whitespace";
    }
    for (auto& item : items) {
      if (item.size() < 16)
        o.warnings.push_back("token " + std::to_string((o.*member).size() + 1) +
                             " is shorter than 16 bytes; use a long random "
                             "token");
      (o.*member).push_back(std::move(item));
    }
    return {};
  };
}

// A value read by `parse` (a name to an optional value); `allowed` says
// what the option takes when the name is refused.
template<class T, class Parse>
setter parsed(T options::*member, Parse parse, std::string allowed) {
  return [=](options& o, const std::string& v) -> std::string {
    auto x = parse(v);
    if (!x)
      return "must be " + allowed;
    o.*member = *x;
    return {};
  };
}

setter flag(bool options::*member) {
  return [=](options& o, const std::string& v) -> std::string {
    if (v == "true" || v == "1" || v == "yes")
      o.*member = true;
    else if (v == "false" || v == "0" || v == "no")
      o.*member = false;
    else
      return "expected true or false: '" + v + "'";
    return {};
  };
}

struct option_def {
  std::string name;
  std::string help;
  setter set;
};

const std::vector<option_def>& defs() {
  static const std::vector<option_def> result{
      {"host", "address to bind (default 127.0.0.1)", text(&options::host)},
      {"port", "port to bind, 0 picks a free one (default 8080)",
       number<uint16_t>(&options::port, 0, 65535)},
      {"workspace",
       "directory flows and file tools may read (default: the "
       "demo workspace)",
       text(&options::workspace)},
      {"log-level", "debug, info, warn, error or off (default info)",
       parsed(&options::log_level, log::parse_level,
              "one of debug, info, warn, error, off")},
      {"log-format", "text or json, one object per line (default text)",
       parsed(&options::log_format, log::parse_format, "text or json")},
      {"heartbeat-ms", "heartbeat interval (default 15000)",
       number<int64_t>(&options::heartbeat_ms, 10, 3600000)},
      {"max-message-bytes", "largest WebSocket message (default 1048576)",
       number<size_t>(&options::max_message_bytes, 1024, 1u << 30)},
      {"max-body-bytes", "largest HTTP request body (default 1048576)",
       number<size_t>(&options::max_body_bytes, 1024, 1u << 30)},
      {"max-json-depth", "deepest JSON nesting accepted (default 64)",
       number<size_t>(&options::max_json_depth, 2, 1024)},
      {"write-timeout-ms",
       "close a connection whose queued data makes no progress this long "
       "(default 10000)",
       number<int64_t>(&options::write_timeout_ms, 10, 3600000)},
      {"socket-send-buffer",
       "kernel send buffer per connection in bytes, 0 for the kernel's "
       "autotuning (default 0)",
       number<size_t>(&options::socket_send_buffer, 0, 1u << 30)},
      {"max-queue-bytes",
       "outbound queue bound per connection (default 4194304)",
       number<size_t>(&options::max_queue_bytes, 4096, 1u << 30)},
      {"max-log-events", "events kept per task (default 10000)",
       number<size_t>(&options::max_log_events, 1, 10000000)},
      {"retention-ms",
       "how long finished tasks stay queryable (default 604800000, 7 "
       "days)",
       number<int64_t>(&options::retention_ms, 0, 3650LL * 86400000)},
      {"history",
       "sqlite keeps the task history in --data-dir; memory keeps it in "
       "memory only, lost on restart (default sqlite)",
       parsed(
           &options::history,
           [](const std::string& v) -> std::optional<bool> {
             if (v == "sqlite")
               return true;
             if (v == "memory")
               return false;
             return std::nullopt;
           },
           "sqlite or memory")},
      {"data-dir",
       "directory of the task history's database (default data, under the "
       "current directory)",
       text(&options::data_dir)},
      {"durability",
       "normal survives a crash of the process; full also a power loss, "
       "at an fsync per commit (default normal)",
       parsed(
           &options::durability,
           [](const std::string& v) -> std::optional<std::string> {
             if (v == "normal" || v == "full")
               return v;
             return std::nullopt;
           },
           "normal or full")},
      {"max-tasks-kept",
       "finished tasks the history keeps; the oldest go first (default "
       "100000)",
       number<uint64_t>(&options::max_tasks_kept, 1, 1ull << 40)},
      {"max-params-bytes",
       "largest params object of a start in JSON bytes (default 65536)",
       number<size_t>(&options::max_params_bytes, 2, 1u << 30)},
      {"max-result-bytes",
       "largest tool result in JSON bytes (default 16777216)",
       number<size_t>(&options::max_result_bytes, 1024, 1u << 30)},
      {"max-retained-bytes",
       "bytes the logs of finished tasks may pin together; oldest go first "
       "(default 268435456)",
       number<uint64_t>(&options::max_retained_bytes, 0, 1ull << 40)},
      {"tool-timeout-ms",
       "time allowed per tool call of a task (default 60000)",
       number<int64_t>(&options::tool_timeout_ms, 1, 86400000)},
      {"tool-max-bytes",
       "file bytes one tool call may read, e.g. hashed or scanned "
       "(default 1073741824)",
       number<size_t>(&options::tool_max_bytes, 1, size_t{1} << 50)},
      {"worker-threads", "threads for blocking tools (default 2)",
       number<size_t>(&options::worker_threads, 1, 256)},
      {"worker-queue", "tool jobs that may wait (default 1024)",
       number<size_t>(&options::worker_queue, 1, 1000000)},
      {"actor-threads", "threads of the actor scheduler (default 2)",
       number<size_t>(&options::actor_threads, 1, 256)},
      {"io-threads", "network I/O threads (default 1)",
       number<size_t>(&options::io_threads, 1, 256)},
      {"node-name", "this node's name (default local)", text(&options::node)},
      {"node", "the same as --node-name", text(&options::node)},
      {"cluster-host",
       "address of the cluster port; loopback unless --cluster-secret is "
       "set, since the cluster's protocol authenticates nobody (default "
       "127.0.0.1)",
       text(&options::cluster_host)},
      {"cluster-secret",
       "a secret every node of the cluster shares: a node admits only nodes "
       "that prove they know it (put it in the config file, not on the "
       "command line)",
       text(&options::cluster_secret)},
      {"cluster-port",
       "the cluster port: nodes join each other there; 0 picks a free one "
       "(default: off, the node stays alone)",
       number<int32_t>(&options::cluster_port, 0, 65535)},
      {"join",
       "comma-separated HOST:PORT of cluster nodes to join through (needs "
       "--cluster-port)",
       list(&options::join)},
      {"stale-after-ms",
       "fail running tasks silent this long, 0 disables (default 600000)",
       number<int64_t>(&options::stale_after_ms, 0, 365LL * 86400000)},
      {"orphan-after-ms",
       "stop tasks nobody watched this long, 0 disables (default 0)",
       number<int64_t>(&options::orphan_after_ms, 0, 365LL * 86400000)},
      {"grace-ms", "time tasks get to finish on shutdown (default 10000)",
       number<int64_t>(&options::grace_ms, 0, 3600000)},
      {"max-connections", "open connections allowed (default 10000)",
       number<size_t>(&options::max_connections, 1, 1000000)},
      {"max-tasks", "running tasks allowed (default 10000)",
       number<size_t>(&options::max_tasks, 1, 10000000)},
      {"rate-limit", "messages per second per connection (default 200)",
       number<size_t>(&options::rate_limit, 1, 1000000)},
      {"tokens", "comma-separated bearer tokens; any set means auth is on",
       token_list(&options::tokens)},
      {"allowed-origins",
       "comma-separated browser origins allowed besides the server's own",
       list(&options::allowed_origins)},
      {"allowed-hosts",
       "comma-separated Host names the server answers to besides loopback "
       "names and addresses ('*.example.com' matches subdomains)",
       list(&options::allowed_hosts)},
      {"flows",
       "comma-separated flows plugins (shared libraries) to load at start; "
       "a plugin that is refused stops the start (see docs/flows.md)",
       list(&options::flows)},
      {"insecure", "allow a non-loopback bind without tokens (default false)",
       flag(&options::insecure)},
  };
  return result;
}

std::string apply(options& o, const std::string& name,
                  const std::string& value) {
  for (auto& d : defs())
    if (d.name == name) {
      auto err = d.set(o, value);
      return err.empty() ? err : "option " + name + ": " + err;
    }
  return "unknown option '" + name + "' (see --help)";
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

} // namespace

std::string usage() {
  std::string result = "usage: switchboard [--name=value ...] "
                       "[--config-file=FILE]\n\noptions:\n";
  for (auto& d : defs())
    result += "  --" + d.name + "=VALUE  " + d.help + "\n";
  result += "  --config-file=FILE  read name = value lines from FILE\n";
  return result;
}

std::variant<options, std::string> parse_options(int argc, char** argv,
                                                 std::string default_ws) {
  options o;
  o.workspace = std::move(default_ws);
  std::vector<std::pair<std::string, std::string>> cli;
  std::string config_file;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h")
      return std::string{"help"};
    if (arg.rfind("--", 0) != 0)
      return "unexpected argument '" + arg + "' (options are --name=value)";
    auto eq = arg.find('=');
    if (eq == std::string::npos) {
      // A bare --name is a boolean flag.
      cli.emplace_back(arg.substr(2), "true");
      continue;
    }
    auto name = arg.substr(2, eq - 2);
    auto value = arg.substr(eq + 1);
    if (name == "config-file")
      config_file = value;
    else
      cli.emplace_back(name, value);
  }
  if (!config_file.empty()) {
    std::ifstream in{config_file};
    if (!in)
      return "cannot read config file " + config_file;
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      line = trim(line);
      if (line.empty() || line[0] == '#')
        continue;
      auto eq = line.find('=');
      if (eq == std::string::npos)
        return config_file + ":" + std::to_string(n) +
               ": expected 'name = value'";
      auto value = trim(line.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      if (auto err = apply(o, trim(line.substr(0, eq)), value); !err.empty())
        return config_file + ":" + std::to_string(n) + ": " + err;
    }
  }
  for (auto& [name, value] : cli)
    if (auto err = apply(o, name, value); !err.empty())
      return err;
  return o;
}

} // namespace switchboard::app
