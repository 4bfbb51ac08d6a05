#pragma once

// Included before every source (CMake's `-include`), so that RapidJSON's
// assertions, compiled out by NDEBUG otherwise, check in every build too.

#include <stdexcept>
#include <string>

namespace switchboard::util {

/// Thrown when a contract between Switchboard's own modules is broken: a
/// bug, never bad input (untrusted input is refused with a protocol error).
class contract_violation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Throws a `contract_violation` naming the condition and where it failed.
[[noreturn]] inline void contract_failed(const char* condition,
                                         const char* file, int line) {
  throw contract_violation(std::string{file} + ":" + std::to_string(line) +
                           ": contract violated: " + condition);
}

} // namespace switchboard::util

/// Checks an internal contract in every build type; throws
/// `switchboard::util::contract_violation` when it does not hold.
#define SB_CHECK(condition)                                                    \
  ((condition)                                                                 \
       ? static_cast<void>(0)                                                  \
       : ::switchboard::util::contract_failed(#condition, __FILE__, __LINE__))

#ifndef RAPIDJSON_ASSERT
/// RapidJSON checks its preconditions (a member of an object, a string
/// where one is read...) with ours instead of `assert`.
#define RAPIDJSON_ASSERT(x) SB_CHECK(x)
#endif
