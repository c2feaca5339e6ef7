// auth_api.h — log-in, log-out, password change, the signed-in user, staff accounts
// and units (D6); and the audit trail for auditors.
#pragma once
#include "auth/auth.h"
#include "http/api.h"
#include "store/db.h"

namespace dangan::auth {

void register_routes(http::Api& api, Sessions& sessions, store::Database& db, const Config& config);

}  // namespace dangan::auth
