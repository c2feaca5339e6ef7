// auth_api.h — log-in, log-out, password change, the signed-in user, staff accounts
// and units (D6); and the audit trail for auditors.
#pragma once
#include "audit/audit.h"
#include "auth/auth.h"
#include "http/api.h"
#include "store/db.h"

namespace dangan::auth {

// `reads` records the patrons' names the audit trail shows (patrons::names_in_list; the
// auditor's role sees none, as in the patron list).
void register_routes(http::Api& api, Sessions& sessions, store::Database& db,
                     audit::ReadRecorder& reads, const Config& config);

}  // namespace dangan::auth
