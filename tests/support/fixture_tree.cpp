#include "tests/support/fixture_tree.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include <cerrno>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace switchboard::test {

namespace {

// Every value below is fake: AKIAIOSFODNN7EXAMPLE is AWS's documented
// example key, and the PEM body is not base64 of any key.
void write(const fs::path& root, const char* rel, const std::string& text,
           mode_t mode = 0644) {
  auto p = root / rel;
  fs::create_directories(p.parent_path());
  std::ofstream out{p, std::ios::binary};
  out << text;
  out.close();
  if (!out)
    throw std::runtime_error("cannot write " + p.string());
  // chmod after writing, so that the umask does not decide the mode.
  if (::chmod(p.c_str(), mode) != 0)
    throw std::system_error(errno, std::generic_category(), p.string());
}

} // namespace

fixture_tree::fixture_tree() {
  char tmpl[] = "/tmp/switchboard-fixture-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    throw std::system_error(errno, std::generic_category(), "mkdtemp");
  root_ = fs::canonical(tmpl);
  write(root_, "config/app.env",
        "# service configuration (fake values for tests)\n"
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
        "DB_PASSWORD=correct-horse-42\n"
        "LOG_LEVEL=info\n");
  write(root_, "keys/deploy.pem",
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "MIIBOgIBAAJBAFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAK\n"
        "RkFLRSBLRVkgRk9SIFRFU1RTIE9OTFkgLSBOT1QgQSBSRUFMIEtFWQ==\n"
        "-----END RSA PRIVATE KEY-----\n");
  write(root_, "src/main.py",
        "import os\n"
        "\n"
        "DB_HOST = \"localhost\"\n"
        "password = \"hunter22xx\"\n"
        "\n"
        "def main():\n"
        "    print(\"connecting to\", DB_HOST)\n");
  write(root_, "src/util.py",
        "def tokenize(text):\n"
        "    return text.split()\n"
        "\n"
        "def count(text):\n"
        "    tokens = tokenize(text)\n"
        "    return len(tokens)\n");
  write(root_, "shared/notes.txt",
        "Meeting notes\n"
        "Nothing sensitive here.\n",
        0666);
  std::string big(2048, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i % 251);
  write(root_, "data/big.bin", big);
  write(root_, "docs/readme.md",
        "# Fixture\n"
        "\n"
        "A small tree for the tool tests.\n");
  fs::create_symlink("/etc/hostname", root_ / "link_out");
}

namespace {

// Empties the directory `dir` (an open descriptor) recursively.
bool empty_dir(int dir) {
  int copy = ::dup(dir);
  DIR* d = copy < 0 ? nullptr : ::fdopendir(copy);
  if (!d)
    return false;
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) {
    std::string name{e->d_name};
    if (name != "." && name != "..")
      names.push_back(name);
  }
  ::closedir(d);
  bool ok = true;
  for (auto& name : names) {
    struct stat st;
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      int sub = ::openat(dir, name.c_str(),
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        ok = false;
        continue;
      }
      ok = empty_dir(sub) && ok;
      ::close(sub);
      ok = ::unlinkat(dir, name.c_str(), AT_REMOVEDIR) == 0 && ok;
    } else {
      ok = ::unlinkat(dir, name.c_str(), 0) == 0 && ok;
    }
  }
  return ok;
}

} // namespace

bool remove_tree(const fs::path& root) {
  int fd =
      ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT;
  bool ok = empty_dir(fd);
  ::close(fd);
  return ::rmdir(root.c_str()) == 0 && ok;
}

fixture_tree::~fixture_tree() {
  remove_tree(root_);
}

} // namespace switchboard::test
