#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <rapidjson/document.h>

namespace switchboard::cli {

/// The text of a progress line: a bar when the total is known, `step/total`,
/// the rate, the elapsed time and the ETA, cut to `width` columns.
std::string progress_text(int64_t step, int64_t total,
                          const std::string& message, double rate_per_s,
                          std::chrono::milliseconds elapsed, int width);

/// A live progress line at the bottom of a terminal: redrawn in place with
/// `\r` on each progress event, lines printed above it.
class progress_line {
 public:
  /// Starts the clock for the rate and the elapsed time.
  progress_line();

  /// Updates the line from `progress` (a `progress` event) and redraws it.
  void update(const rapidjson::Value& progress);

  /// Prints `line` above the progress line.
  void print_above(const std::string& line);

  /// Clears the line (before a prompt or a note).
  void clear();

  /// Leaves the line as it was last drawn and moves below it (at the end).
  void finish();

 private:
  void draw();

  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point first_at_;
  int64_t first_step_ = -1;
  int64_t step_ = 0;
  int64_t total_ = 0;
  std::string message_;
  bool shown_ = false;
};

/// The terminal's width in columns (80 when it cannot be asked).
int terminal_width();

} // namespace switchboard::cli
