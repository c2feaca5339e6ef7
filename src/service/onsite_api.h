// onsite_api.h — the routes of on-site visits (上门服务) under /api/v1/onsite-visits; the
// rules live in onsite.h.
#pragma once
#include "http/api.h"
#include "service/onsite.h"

namespace dangan::service {

void register_onsite_routes(http::Api& api, OnSite& visits);

}  // namespace dangan::service
