#include "tools/workspace.hpp"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <vector>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tools/names.hpp"

namespace fs = std::filesystem;

namespace switchboard::tools {

namespace {

std::atomic<bool> openat2_enabled{true};

// Symlinks followed per lookup, as the kernel's own limit.
constexpr int max_symlinks = 40;

// Splits a relative path into its components, dropping empty ones and ".".
void split_into(std::string_view path, std::deque<std::string>& out,
                bool front) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    auto slash = path.find('/', pos);
    if (slash == std::string_view::npos)
      slash = path.size();
    auto part = path.substr(pos, slash - pos);
    if (!part.empty() && part != ".")
      parts.emplace_back(part);
    pos = slash + 1;
  }
  if (front)
    out.insert(out.begin(), parts.begin(), parts.end());
  else
    out.insert(out.end(), parts.begin(), parts.end());
}

std::string check_bytes(std::string_view relative) {
  if (relative.find('\0') != std::string_view::npos)
    return "path contains a NUL byte";
  if (!relative.empty() && relative.front() == '/')
    return "path must be relative to the workspace";
  size_t pos = 0;
  while (pos <= relative.size()) {
    auto slash = relative.find('/', pos);
    if (slash == std::string_view::npos)
      slash = relative.size();
    if (relative.substr(pos, slash - pos) == "..")
      return "path must not contain '..'";
    pos = slash + 1;
  }
  return {};
}

} // namespace

unique_fd& unique_fd::operator=(unique_fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

unique_fd::~unique_fd() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool open_error::bad_path() const noexcept {
  return err == EINVAL || err == ENOENT || err == EXDEV || err == ELOOP ||
         err == ENOTDIR || err == ENAMETOOLONG;
}

std::variant<workspace, std::string> workspace::open(const fs::path& root) {
  std::error_code ec;
  auto canonical = fs::canonical(root, ec);
  if (ec)
    return root.string() + ": " + ec.message();
  if (!fs::is_directory(canonical, ec))
    return root.string() + ": not a directory";
  if (::access(canonical.c_str(), R_OK | X_OK) != 0)
    return root.string() + ": directory is not readable";
  auto fd = std::make_shared<unique_fd>(
      ::open(canonical.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!*fd)
    return root.string() + ": " + std::strerror(errno);
  return workspace{std::move(canonical), std::move(fd)};
}

int workspace::root_fd() const noexcept {
  return root_fd_->get();
}

void workspace::use_openat2(bool enabled) noexcept {
  openat2_enabled = enabled;
}

std::string workspace::check_relative(std::string_view relative) {
  return check_bytes(decode_name(relative));
}

open_error workspace::describe(int err, const std::string& rel) const {
  auto shown = encode_name(rel);
  switch (err) {
  case ENOENT: {
    // Tell a dangling symlink from a missing path: look at the name itself.
    auto link = open_beneath(shown, O_PATH | O_NOFOLLOW);
    struct stat st;
    if (auto* fd = std::get_if<unique_fd>(&link);
        fd && ::fstat(fd->get(), &st) == 0 && S_ISLNK(st.st_mode))
      return {err, "dangling symlink: " + shown};
    return {err, "no such file or directory: " + shown};
  }
  case ENOTDIR: return {err, "no such file or directory: " + shown};
  case EXDEV: return {err, "path leaves the workspace: " + shown};
  case ELOOP: return {err, "too many levels of symbolic links: " + shown};
  default: return {err, shown + ": " + std::strerror(err)};
  }
}

std::variant<unique_fd, open_error>
workspace::open_beneath(std::string_view relative, int flags) const {
  auto rel = decode_name(relative);
  if (rel.empty())
    rel = ".";
  if (auto reason = check_bytes(rel); !reason.empty())
    return open_error{EINVAL, std::move(reason)};
  flags |= O_CLOEXEC;
  if (openat2_enabled.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    // EAGAIN: a concurrent rename raced the lookup; the kernel asks us to
    // retry rather than risk an escape.
    for (int attempt = 0; attempt < 64; ++attempt) {
      auto fd =
          ::syscall(SYS_openat2, root_fd(), rel.c_str(), &how, sizeof(how));
      if (fd >= 0)
        return unique_fd{static_cast<int>(fd)};
      if (errno != EAGAIN && errno != EINTR)
        break;
    }
    if (errno != ENOSYS) {
      auto err = errno;
      if (err == EAGAIN)
        return open_error{err, encode_name(rel) +
                                   ": changed too often while opening it"};
      // O_NOFOLLOW callers ask about the name itself; anything else keeps
      // the usual wording.
      if ((flags & O_NOFOLLOW) && err == ENOENT)
        return open_error{err,
                          "no such file or directory: " + encode_name(rel)};
      return describe(err, rel);
    }
    openat2_enabled = false;
  }
  return open_by_steps(rel, flags);
}

std::variant<unique_fd, open_error>
workspace::open_by_steps(const std::string& rel, int flags) const {
  // The directories entered so far, innermost last; `..` from a symlink's
  // target pops one, and popping the root is an escape.
  std::vector<unique_fd> stack;
  auto cur = [&] { return stack.empty() ? root_fd() : stack.back().get(); };
  std::deque<std::string> todo;
  split_into(rel, todo, false);
  int links = 0;
  auto fail = [&](int err) -> std::variant<unique_fd, open_error> {
    if ((flags & O_NOFOLLOW) && err == ENOENT)
      return open_error{err, "no such file or directory: " + encode_name(rel)};
    return describe(err, rel);
  };
  while (!todo.empty()) {
    auto name = std::move(todo.front());
    todo.pop_front();
    if (name == "..") {
      if (stack.empty())
        return fail(EXDEV);
      stack.pop_back();
      continue;
    }
    bool last = todo.empty();
    unique_fd fd{
        ::openat(cur(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC)};
    if (!fd)
      return fail(errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0)
      return fail(errno);
    if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
      if (++links > max_symlinks)
        return fail(ELOOP);
      // Reading the link through its own descriptor: the name may have been
      // replaced since we opened it.
      std::string target(PATH_MAX, '\0');
      auto n = ::readlinkat(fd.get(), "", target.data(), target.size());
      if (n < 0)
        return fail(errno);
      target.resize(static_cast<size_t>(n));
      if (target.empty() || target.front() == '/')
        return fail(EXDEV);
      split_into(target, todo, true);
      continue;
    }
    if (last) {
      if (flags & O_PATH)
        return fd;
      unique_fd out{::openat(cur(), name.c_str(), flags | O_NOFOLLOW)};
      if (!out)
        return fail(errno);
      struct stat again;
      // The name was replaced between the two opens: refuse rather than
      // read something we did not check.
      if (::fstat(out.get(), &again) != 0 || again.st_dev != st.st_dev ||
          again.st_ino != st.st_ino)
        return open_error{EAGAIN,
                          encode_name(rel) + ": changed while opening it"};
      return out;
    }
    if (!S_ISDIR(st.st_mode))
      return fail(ENOTDIR);
    stack.push_back(std::move(fd));
  }
  // Every component was a directory (or the path named the root).
  unique_fd out{::openat(cur(), ".", flags)};
  if (!out)
    return fail(errno);
  return out;
}

std::variant<fs::path, std::string>
workspace::resolve(std::string_view relative) const {
  auto opened = open_beneath(relative, O_PATH);
  if (auto* err = std::get_if<open_error>(&opened))
    return std::move(err->message);
  auto proc =
      "/proc/self/fd/" + std::to_string(std::get<unique_fd>(opened).get());
  std::error_code ec;
  auto target = fs::read_symlink(proc, ec);
  if (ec)
    return encode_name(decode_name(relative)) + ": " + ec.message();
  if (!contains(target))
    return "path leaves the workspace: " + encode_name(decode_name(relative));
  return target;
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
