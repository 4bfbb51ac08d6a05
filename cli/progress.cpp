#include "cli/progress.hpp"

#include <algorithm>
#include <cstdio>
#include <sys/ioctl.h>
#include <unistd.h>

namespace switchboard::cli {

namespace {

using clock_type = std::chrono::steady_clock;

std::string clock_text(std::chrono::milliseconds d) {
  auto secs = d.count() / 1000;
  char buf[32];
  if (secs >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld",
                  static_cast<long long>(secs / 3600),
                  static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld",
                  static_cast<long long>(secs / 60),
                  static_cast<long long>(secs % 60));
  return buf;
}

int64_t int_of(const rapidjson::Value& v, const char* name) {
  auto i = v.FindMember(name);
  return i != v.MemberEnd() && i->value.IsInt64() ? i->value.GetInt64() : 0;
}

} // namespace

std::string progress_text(int64_t step, int64_t total,
                          const std::string& message, double rate_per_s,
                          std::chrono::milliseconds elapsed, int width) {
  std::string out;
  if (total > 0) {
    constexpr int bar = 20;
    auto filled =
        static_cast<int>(std::min<int64_t>(step, total) * bar / total);
    out = "[" + std::string(static_cast<size_t>(filled), '#') +
          std::string(static_cast<size_t>(bar - filled), '.') + "] " +
          std::to_string(step) + "/" + std::to_string(total);
  } else {
    out = "step " + std::to_string(step);
  }
  char rate[32];
  std::snprintf(rate, sizeof rate, "  %.1f/s", rate_per_s);
  out += rate;
  out += "  elapsed " + clock_text(elapsed);
  if (total > 0 && rate_per_s > 0 && step < total)
    out +=
        "  ETA " + clock_text(std::chrono::milliseconds(static_cast<int64_t>(
                       static_cast<double>(total - step) / rate_per_s * 1000)));
  if (!message.empty())
    out += "  " + message;
  // One column short of the width: writing the last column wraps on some
  // terminals, and the next \r would then redraw one line too low.
  if (width > 1 && out.size() >= static_cast<size_t>(width))
    out.resize(static_cast<size_t>(width - 1));
  return out;
}

int terminal_width() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

progress_line::progress_line() : started_(clock_type::now()) {}

void progress_line::update(const rapidjson::Value& progress) {
  step_ = int_of(progress, "step");
  total_ = int_of(progress, "total");
  auto m = progress.FindMember("message");
  message_ = m != progress.MemberEnd() && m->value.IsString()
                 ? m->value.GetString()
                 : "";
  if (first_step_ < 0) {
    first_step_ = step_;
    first_at_ = clock_type::now();
  }
  draw();
}

void progress_line::print_above(const std::string& line) {
  clear();
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  if (first_step_ >= 0)
    draw();
  std::fflush(stdout);
}

void progress_line::clear() {
  if (shown_)
    std::fputs("\r\x1b[K", stdout);
  shown_ = false;
  std::fflush(stdout);
}

void progress_line::finish() {
  if (shown_)
    std::fputc('\n', stdout);
  shown_ = false;
  std::fflush(stdout);
}

void progress_line::draw() {
  auto now = clock_type::now();
  auto since_first = std::chrono::duration<double>(now - first_at_).count();
  double rate = since_first > 0.05
                    ? static_cast<double>(step_ - first_step_) / since_first
                    : 0.0;
  auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - started_);
  // The width is asked on every draw, so a resized terminal gets a line
  // that fits from the next event on.
  auto text =
      progress_text(step_, total_, message_, rate, elapsed, terminal_width());
  std::fputs("\r\x1b[K", stdout);
  std::fwrite(text.data(), 1, text.size(), stdout);
  shown_ = true;
  std::fflush(stdout);
}

} // namespace switchboard::cli
