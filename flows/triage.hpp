#pragma once

#include "flows/catalog.hpp"

namespace switchboard::flows {

/// Returns the `triage` kind: an audit, then one input request per finding
/// at or above `min_severity`, collecting a person's decisions.
flow_kind triage_kind();

} // namespace switchboard::flows
