#include "flows/plugins.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <map>

#include <dlfcn.h>

#include "flows/catalog.hpp"
#include "flows/registrar.hpp"

namespace switchboard::flows {

namespace {

// Collects the kinds of one library.
class collector : public registrar {
 public:
  void add(flow_kind kind) override {
    kinds_.push_back(std::move(kind));
  }

  std::vector<flow_kind>& kinds() {
    return kinds_;
  }

 private:
  std::vector<flow_kind> kinds_;
};

std::string last_dl_error() {
  const char* e = dlerror();
  std::string out = e ? e : "unknown error";
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

using entry_point = void (*)(registrar&);

// Opens one library and runs its entry point; returns its kinds or why not.
std::variant<std::vector<flow_kind>, std::string>
open_plugin(const std::string& path) {
  // Without a slash dlopen searches the library path instead of the
  // current directory, which is not what `--flows=x.so` means.
  auto file = path.find('/') == std::string::npos ? "./" + path : path;
  // Never closed: the kinds' functions and the coroutines they create live
  // in the library's code.
  void* lib = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return "cannot load it: " + last_dl_error();
  auto* entry = reinterpret_cast<entry_point>(dlsym(lib, entry_point_symbol));
  if (!entry)
    return std::string{"no entry point "} + entry_point_symbol +
           " (not a Switchboard flows plugin? define it with "
           "SWITCHBOARD_FLOWS from flows/registrar.hpp)";
  // The version comes first: nothing of a library built against another
  // SDK runs, its structs may not match ours.
  auto* version =
      static_cast<const std::uint32_t*>(dlsym(lib, sdk_version_symbol));
  if (!version)
    return std::string{"no "} + sdk_version_symbol +
           " (define the entry point with SWITCHBOARD_FLOWS from "
           "flows/registrar.hpp)";
  if (*version != sdk_version)
    return "built against flows SDK version " + std::to_string(*version) +
           ", this server runs version " + std::to_string(sdk_version) +
           "; rebuild it against this server's SDK";
  collector c;
  try {
    entry(c);
  } catch (const std::exception& e) {
    return std::string{"its entry point threw: "} + e.what();
  } catch (...) {
    return "its entry point threw";
  }
  if (c.kinds().empty())
    return "it registers no kinds";
  return std::move(c.kinds());
}

} // namespace

std::variant<std::vector<loaded_plugin>, std::string>
load_plugins(const std::vector<std::string>& paths) {
  std::vector<loaded_plugin> loaded;
  std::vector<flow_kind> all;
  std::map<std::string, size_t> owner; // kind -> index in paths
  for (size_t i = 0; i < paths.size(); ++i) {
    auto& path = paths[i];
    auto refused = [&](const std::string& why) {
      return "--flows: " + path + ": " + why;
    };
    auto opened = open_plugin(path);
    if (auto* reason = std::get_if<std::string>(&opened))
      return refused(*reason);
    auto& kinds = std::get<std::vector<flow_kind>>(opened);
    loaded_plugin p{path, {}};
    for (auto& k : kinds) {
      if (auto it = owner.find(k.name); it != owner.end())
        return refused("kind '" + k.name + "' is " +
                       (it->second == i ? "registered twice by this library"
                                        : "taken by " + paths[it->second]));
      if (auto err = check_new_kind(k); !err.empty())
        return refused(err);
      owner.emplace(k.name, i);
      p.kinds.push_back(k.name);
    }
    std::move(kinds.begin(), kinds.end(), std::back_inserter(all));
    loaded.push_back(std::move(p));
  }
  // Checked above kind by kind; this adds them all at once.
  if (auto err = add_kinds(std::move(all)); !err.empty())
    return "--flows: " + err;
  return loaded;
}

} // namespace switchboard::flows
