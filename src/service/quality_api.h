// quality_api.h — the routes of problem management, quality inspection and cases under
// /api/v1 (docs/api.md, "Service quality"); the rules live in quality.h.
#pragma once
#include <cstddef>

#include "http/api.h"
#include "service/quality.h"

namespace dangan::service {

// `max_recording_bytes`: the largest recording accepted (the attachment limit).
void register_quality_routes(http::Api& api, Quality& quality, std::size_t max_recording_bytes);

}  // namespace dangan::service
