#include "tests/support/server_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace switchboard::test {

namespace {

#ifdef SWITCHBOARD_BINARY
constexpr const char* binary_path = SWITCHBOARD_BINARY;
#else
constexpr const char* binary_path = "switchboard";
#endif

constexpr std::string_view listening_prefix = "listening on http://";

int decode(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

} // namespace

server_process::server_process(std::vector<std::string> args,
                               std::chrono::milliseconds startup_timeout) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string{"pipe2: "} + std::strerror(errno));
  std::vector<std::string> argv_strings;
  argv_strings.emplace_back(binary_path);
  argv_strings.emplace_back("--port=0");
  auto own_history = true;
  for (auto& arg : args) {
    if (arg.rfind("--data-dir=", 0) == 0 || arg.rfind("--history=", 0) == 0)
      own_history = false;
    argv_strings.push_back(std::move(arg));
  }
  if (own_history) {
    data_ = std::make_unique<temp_dir>();
    argv_strings.push_back(data_->data_dir_option());
  }
  std::vector<char*> argv;
  for (auto& arg : argv_strings)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears FD_CLOEXEC on the child's stdout; both pipe ends close.
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  int rc =
      posix_spawn(&pid_, binary_path, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    pid_ = -1;
    throw std::runtime_error(std::string{"cannot start "} + binary_path + ": " +
                             std::strerror(rc));
  }
  out_fd_ = fds[0];
  reader_ = std::thread{[this] { read_loop(); }};
  // Wait for the complete `listening on` line.
  std::unique_lock<std::mutex> guard{mtx_};
  auto found = cv_.wait_for(guard, startup_timeout, [this] {
    auto pos = output_.find(listening_prefix);
    return eof_ || (pos != std::string::npos &&
                    output_.find('\n', pos) != std::string::npos);
  });
  auto pos = output_.find(listening_prefix);
  std::string err;
  if (!found || pos == std::string::npos) {
    err = found ? "server exited before listening" : "server start timed out";
  } else {
    auto start = pos + listening_prefix.size();
    auto line = output_.substr(start, output_.find('\n', start) - start);
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    auto colon = line.rfind(':');
    try {
      if (colon == std::string::npos)
        throw std::invalid_argument("no port");
      host_ = line.substr(0, colon);
      auto port = std::stoul(line.substr(colon + 1));
      if (port == 0 || port > 65535)
        throw std::invalid_argument("port");
      port_ = static_cast<uint16_t>(port);
    } catch (const std::exception&) {
      err = "cannot parse the listening line: " + line;
    }
  }
  if (!err.empty()) {
    auto out = output_;
    guard.unlock();
    kill();
    if (reader_.joinable())
      reader_.join();
    ::close(out_fd_);
    out_fd_ = -1;
    throw std::runtime_error(err + "; stdout was:\n" + out);
  }
}

server_process::~server_process() {
  if (pid_ > 0 && !status_)
    kill();
  if (reader_.joinable())
    reader_.join();
  if (out_fd_ >= 0)
    ::close(out_fd_);
}

void server_process::read_loop() {
  char buf[4096];
  for (;;) {
    auto n = ::read(out_fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    std::lock_guard<std::mutex> guard{mtx_};
    if (n <= 0) {
      eof_ = true;
      cv_.notify_all();
      return;
    }
    output_.append(buf, static_cast<size_t>(n));
    cv_.notify_all();
  }
}

uint16_t server_process::port() const {
  return port_;
}

const std::string& server_process::host() const {
  return host_;
}

pid_t server_process::pid() const {
  return pid_;
}

bool server_process::running() {
  return !wait(std::chrono::milliseconds(0));
}

void server_process::signal(int sig) {
  if (pid_ > 0 && !status_)
    ::kill(pid_, sig);
}

std::optional<int> server_process::wait(std::chrono::milliseconds timeout) {
  if (status_)
    return status_;
  if (pid_ <= 0)
    return -1;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    auto rc = ::waitpid(pid_, &status, WNOHANG);
    if (rc == pid_) {
      status_ = decode(status);
      return status_;
    }
    if (rc < 0 && errno != EINTR) {
      status_ = -1;
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int server_process::terminate(std::chrono::milliseconds timeout) {
  signal(SIGTERM);
  if (auto status = wait(timeout))
    return *status;
  return kill();
}

int server_process::kill() {
  signal(SIGKILL);
  return *wait(std::chrono::hours(1));
}

std::string server_process::output() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return output_;
}

bool server_process::wait_for_output(std::string_view needle,
                                     std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> guard{mtx_};
  return cv_.wait_for(guard, timeout, [&] {
    return output_.find(needle) != std::string::npos || eof_;
  }) && output_.find(needle) != std::string::npos;
}

std::pair<int, std::string> run_to_exit(const std::vector<std::string>& args) {
  std::string cmd = binary_path;
  for (auto& a : args) {
    // Single-quoted for the shell, a quote inside closed and escaped.
    cmd += " '";
    for (auto c : a)
      cmd += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
    cmd += "'";
  }
  cmd += " 2>&1 </dev/null";
  auto* p = popen(cmd.c_str(), "r");
  if (p == nullptr)
    return {-1, "popen failed"};
  std::string out;
  char buf[512];
  while (auto n = fread(buf, 1, sizeof(buf), p))
    out.append(buf, n);
  auto status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

} // namespace switchboard::test
