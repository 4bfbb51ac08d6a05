#include "tests/cli/cli_process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

namespace switchboard::test {

using clock_type = std::chrono::steady_clock;

std::vector<std::string> cli_result::lines() const {
  std::vector<std::string> result;
  size_t from = 0;
  while (from < out.size()) {
    auto nl = out.find('\n', from);
    if (nl == std::string::npos)
      nl = out.size();
    result.push_back(out.substr(from, nl - from));
    from = nl + 1;
  }
  return result;
}

cli_process::cli_process(const std::vector<std::string>& args, env_list env,
                         bool tty) {
  // Everything the child needs is built before fork: a child of a process
  // with threads may only make system calls until it execs.
  std::string binary = SWITCHBOARD_CLI_BINARY;
  std::vector<char*> argv;
  argv.push_back(binary.data());
  for (auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> removed{"SWITCHBOARD_URL", "SWITCHBOARD_TOKEN",
                                   "NO_COLOR"};
  for (auto& [name, value] : env)
    removed.push_back(name);
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry{*e};
    auto name = entry.substr(0, entry.find('='));
    if (std::find(removed.begin(), removed.end(), name) == removed.end())
      env_text.emplace_back(entry);
  }
  for (auto& [name, value] : env)
    env_text.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env_text)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  if (tty) {
    pid_ = ::forkpty(&out[0], nullptr, nullptr, nullptr);
  } else {
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe failed");
    pid_ = ::fork();
  }
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    if (!tty) {
      int devnull = ::open("/dev/null", O_RDONLY);
      ::dup2(devnull, 0);
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
    }
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  if (!tty) {
    ::close(out[1]);
    ::close(err[1]);
  }
  out_fd_ = out[0];
  err_fd_ = err[0];
}

cli_process::~cli_process() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  if (out_fd_ >= 0)
    ::close(out_fd_);
  if (err_fd_ >= 0)
    ::close(err_fd_);
}

bool cli_process::pump(clock_type::time_point deadline) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (out_fd_ < 0 && err_fd_ < 0)
    return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - clock_type::now())
                  .count();
  if (left <= 0)
    return false;
  int n = ::poll(fds, 2, static_cast<int>(left));
  if (n <= 0)
    return n < 0 && errno == EINTR;
  char buf[65536];
  int* fd_of[2] = {&out_fd_, &err_fd_};
  std::string* sink[2] = {&out_, &err_};
  for (int i = 0; i < 2; ++i) {
    if (*fd_of[i] < 0 || fds[i].revents == 0)
      continue;
    auto got = ::read(*fd_of[i], buf, sizeof buf);
    if (got > 0) {
      sink[i]->append(buf, static_cast<size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      ::close(*fd_of[i]);
      *fd_of[i] = -1;
    }
  }
  return true;
}

std::optional<std::string>
cli_process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto nl = out_.find('\n');
    if (nl != std::string::npos) {
      auto line = out_.substr(0, nl);
      out_.erase(0, nl + 1);
      return line;
    }
    if (out_fd_ < 0 || !pump(deadline))
      return std::nullopt;
  }
}

void cli_process::write(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(out_fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      throw std::runtime_error("write to the child failed");
    done += static_cast<size_t>(n);
  }
}

bool cli_process::wait_for(const std::string& text,
                           std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto at = out_.find(text);
    if (at != std::string::npos) {
      out_.erase(0, at + text.size());
      return true;
    }
    if (out_fd_ < 0 || !pump(deadline))
      return false;
  }
}

cli_result cli_process::wait(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while ((out_fd_ >= 0 || err_fd_ >= 0) && pump(deadline)) {
  }
  cli_result result;
  int st = 0;
  if (out_fd_ >= 0 || err_fd_ >= 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &st, 0);
    status_ = -1;
  } else {
    ::waitpid(pid_, &st, 0);
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  result.exit_code = *status_;
  result.out = std::move(out_);
  result.err = std::move(err_);
  return result;
}

cli_result run_cli(const std::vector<std::string>& args, env_list env,
                   std::chrono::milliseconds timeout) {
  cli_process p{args, std::move(env)};
  return p.wait(timeout);
}

} // namespace switchboard::test

namespace switchboard::test {

cli_result run_cli_on_tty(const std::vector<std::string>& args, env_list env) {
  cli_process p{args, std::move(env), true};
  return p.wait(std::chrono::seconds(30));
}

} // namespace switchboard::test
