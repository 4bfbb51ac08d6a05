#pragma once

#include <exception>
#include <string>

#include <caf/error.hpp>
#include <caf/sec.hpp>

#include "log/logger.hpp"

#include "protocol/error_code.hpp"

namespace switchboard::actors {

/// The category of Switchboard's errors inside `caf::error`.
constexpr caf::atom_value error_category = caf::atom("switchbrd");

/// Returns a `caf::error` carrying a protocol error code and a reason.
caf::error make_error(protocol::error_code code, std::string message);

/// A protocol error code with its reason.
struct error_info {
  /// The protocol error code.
  protocol::error_code code;
  /// The reason for people.
  std::string message;
};

/// Maps any `caf::error` to a protocol error: ours keep their code, CAF's
/// request timeouts become `timeout`, a dead receiver `node_lost` or
/// `internal`, everything else `internal`.
error_info describe(const caf::error& err);

/// Renders our errors for CAF's logging.
std::string render_error(uint8_t code, caf::atom_value category,
                         const caf::message& ctx);

/// Makes an exception that escapes one of `self`'s handlers (a broken
/// contract: a bug of ours, see util/check.hpp) one error line in our log;
/// `last_words(what)` runs before the actor ends with `runtime_error` (a
/// task uses it to end with a terminal `internal` error); an exception of
/// its own is logged and dropped. Actors that must outlive a bug (the task
/// manager, the registry) catch in their handlers instead.
template<class Self, class F>
void on_exception(Self* self, F last_words) {
  self->set_exception_handler(
      [self, last_words](std::exception_ptr& x) -> caf::error {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(x);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log::error("actor failed", {{"actor", std::string_view{self->name()}},
                                    {"id", static_cast<uint64_t>(self->id())},
                                    {"what", std::string_view{what}}});
        // CAF calls this handler inside its own catch block: a second
        // exception would end the process.
        try {
          last_words(what);
        } catch (const std::exception& e) {
          log::error("actor failed in its last words",
                     {{"actor", std::string_view{self->name()}},
                      {"what", std::string_view{e.what()}}});
        } catch (...) {
        }
        return caf::sec::runtime_error;
      });
}

/// As above, with nothing to do before the actor ends.
template<class Self>
void on_exception(Self* self) {
  on_exception(self, [](const std::string&) {});
}

} // namespace switchboard::actors
