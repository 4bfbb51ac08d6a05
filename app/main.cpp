#include <csignal>
#include <cstdio>
#include <iostream>
#include <variant>

#include "app/application.hpp"
#include "log/logger.hpp"

namespace {

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

} // namespace

int main(int argc, char** argv) {
  using namespace switchboard;
  // Block the signals before any thread starts so that only sigwait sees
  // them.
  auto signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  auto parsed = app::parse_options(argc, argv, SWITCHBOARD_DEMO_WORKSPACE);
  if (auto* reason = std::get_if<std::string>(&parsed)) {
    if (*reason == "help") {
      std::cout << app::usage();
      return 0;
    }
    std::cerr << "switchboard: " << *reason << std::endl;
    return 2;
  }
  auto opts = std::get<app::options>(std::move(parsed));
  log::configure(opts.log_level, opts.log_format);
  for (auto& w : opts.warnings)
    log::warn("option warning", {{"detail", w}});
  auto host = opts.host;
  app::application application{std::move(opts)};
  if (auto err = application.start(); !err.empty()) {
    std::cerr << "switchboard: " << err << std::endl;
    return 1;
  }
  if (auto cp = application.cluster_port(); cp != 0)
    std::cout << "cluster port " << cp << std::endl;
  std::cout << "listening on http://" << host << ":" << application.port()
            << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  log::info("shutting down",
            {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  // A second signal during the shutdown ends the process at once.
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  application.drain();
  application.stop();
  return 0;
}
