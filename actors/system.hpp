#pragma once

#include <caf/actor_system_config.hpp>

namespace switchboard::actors {

/// Registers Switchboard's message types and error category with a CAF
/// configuration (needed for messages that cross nodes).
void configure(caf::actor_system_config& cfg);

} // namespace switchboard::actors
