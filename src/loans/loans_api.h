// loans_api.h — /api/v1/loans: lend, renew, return and list loans (rules in loans.h).
#pragma once
#include "http/api.h"
#include "loans/loans.h"

namespace dangan::loans {

void register_routes(http::Api& api, Desk& desk);

}  // namespace dangan::loans
