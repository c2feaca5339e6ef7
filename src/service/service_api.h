// service_api.h — the service desk's routes under /api/v1 (tickets, escalations,
// desk settings, teams, standard answers); the rules live in tickets.h.
#pragma once
#include "http/api.h"
#include "service/tickets.h"

namespace dangan::service {

void register_routes(http::Api& api, Desk& desk);

}  // namespace dangan::service
