#include "tools/workspace.hpp"

#include <unistd.h>

namespace fs = std::filesystem;

namespace switchboard::tools {

std::variant<workspace, std::string> workspace::open(const fs::path& root) {
  std::error_code ec;
  auto canonical = fs::canonical(root, ec);
  if (ec)
    return root.string() + ": " + ec.message();
  if (!fs::is_directory(canonical, ec))
    return root.string() + ": not a directory";
  if (::access(canonical.c_str(), R_OK | X_OK) != 0)
    return root.string() + ": directory is not readable";
  return workspace{std::move(canonical)};
}

std::string workspace::check_relative(std::string_view relative) {
  if (relative.find('\0') != std::string_view::npos)
    return "path contains a NUL byte";
  fs::path p{relative};
  if (p.is_absolute() || p.has_root_name() || p.has_root_directory())
    return "path must be relative to the workspace";
  for (auto& part : p)
    if (part == "..")
      return "path must not contain '..'";
  return {};
}

std::variant<fs::path, std::string>
workspace::resolve(std::string_view relative) const {
  if (relative.empty())
    relative = ".";
  if (auto reason = check_relative(relative); !reason.empty())
    return reason;
  auto joined = root_ / fs::path{relative};
  std::error_code ec;
  // symlink_status tells a dangling symlink (exists, target missing) from a
  // missing path, which canonical() alone reports the same way.
  auto st = fs::symlink_status(joined, ec);
  if (ec || !fs::exists(st))
    return "no such file or directory: " + std::string{relative};
  auto canonical = fs::canonical(joined, ec);
  if (ec) {
    if (fs::is_symlink(st))
      return "dangling symlink: " + std::string{relative};
    return std::string{relative} + ": " + ec.message();
  }
  if (!contains(canonical))
    return "path leaves the workspace: " + std::string{relative};
  return canonical;
}

std::string workspace::relative(const fs::path& absolute) const {
  auto rel = absolute.lexically_relative(root_);
  if (rel.empty() || rel == ".")
    return ".";
  return rel.generic_string();
}

bool workspace::contains(const fs::path& absolute) const {
  auto a = absolute.begin();
  for (auto r = root_.begin(); r != root_.end(); ++r, ++a) {
    // A trailing empty element ("/root/") matches anything below.
    if (r->empty())
      return true;
    if (a == absolute.end() || *a != *r)
      return false;
  }
  return true;
}

} // namespace switchboard::tools
