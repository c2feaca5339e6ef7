// attachments_internal.h — what attachments.cpp and fixity.cpp share; not for other modules.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/actor.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::catalogue::attachments::detail {

// Serialises everything that creates or deletes the file of one blob: the SQLite writer
// lock already does; on PostgreSQL an advisory transaction lock on the hash (two-int
// key space "blob" + the hash's first 32 bits, apart from the single-bigint locks of
// migrations and the audit chain).
Status lock_blob(store::Tx& tx, std::string_view sha256);

// Whether `by` may see a record of this access level's attachments.
enum class Access { allowed, forbidden, hidden };
Access read_access(const Actor& by, const std::string& access_level);

// A blob's row is gone once no active attachment uses it: removed attachments keep the
// hash in removed_sha256. Returns true when the row was deleted (the caller deletes the
// file after commit).
Result<bool> drop_blob_if_unused(store::Tx& tx, const std::string& sha256);

}  // namespace dangan::catalogue::attachments::detail
