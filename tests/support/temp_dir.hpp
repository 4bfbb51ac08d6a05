#pragma once

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "tests/support/fixture_tree.hpp"

namespace switchboard::test {

/// An empty temporary directory, removed with everything in it on
/// destruction (a server's `--data-dir`, for example).
class temp_dir {
 public:
  /// Creates `/tmp/switchboard-NAME-XXXXXX`.
  explicit temp_dir(const std::string& name = "data") {
    std::string tmpl = "/tmp/switchboard-" + name + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = tmpl;
  }

  ~temp_dir() {
    remove_tree(path_);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// The directory.
  const std::filesystem::path& path() const noexcept {
    return path_;
  }

  /// `--data-dir=` this directory.
  std::string data_dir_option() const {
    return "--data-dir=" + path_.string();
  }

 private:
  std::filesystem::path path_;
};

} // namespace switchboard::test
