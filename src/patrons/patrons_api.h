// patrons_api.h — the /api/v1/patrons routes and the key-field corrections.
#pragma once
#include "http/api.h"
#include "patrons/patrons.h"

namespace dangan::patrons {

void register_routes(http::Api& api, Service& service);

}  // namespace dangan::patrons
