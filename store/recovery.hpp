#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "store/database.hpp"

namespace switchboard::store {

/// Ends the tasks that a previous process left running or waiting for
/// input: each gets one terminal `error` event, code `interrupted`, with the
/// seq after its last stored one, and its record says `failed`. Returns how
/// many tasks it ended, or why it could not.
std::variant<size_t, std::string> recover(database& db, int64_t now_ms);

} // namespace switchboard::store
