// erasure.h — what erasing a patron does to the service desk's tables (patrons/erasure.h).
//
// Rows that count in reports stay — tickets, messages, interactions, visits, cases,
// alerts, with their kind, channel, status, times, SLA breaches and satisfaction scores —
// and every free text and contact datum in them becomes "(erased)" (an empty text stays
// empty). What serves only the person goes: files on their tickets and recordings (rows,
// and the blob files once no row uses them), queued and sent mail, portal notices, the
// sensitive mark, trace events. docs/privacy.md has the table.
#pragma once
#include <string_view>

#include "catalogue/blob_store.h"
#include "patrons/erasure.h"
#include "store/db.h"

namespace dangan::service {

struct ErasureFiles {
  catalogue::BlobStore* ticket_files = nullptr;  // TicketFiles::blob_store()
  catalogue::BlobStore* recordings = nullptr;    // Quality::recording_store()
};

// Serialises creating and deleting the file of one ticket-file or recording blob: the
// SQLite writer lock already does; on PostgreSQL an advisory transaction lock on the hash
// (key space "sblb" + the hash's first 32 bits). An upload takes it before it publishes
// a file, the erasure before it re-checks that no row uses a file and removes it, so a
// file never goes while a row that uses it commits.
Status lock_blob(store::Tx& tx, std::string_view sha256);

// Adds the service desk's steps; `db` is used after commit to check, under lock_blob,
// that no other row still uses a blob before its file is removed.
void declare_erasure(patrons::Erasure& erasure, store::Database& db, ErasureFiles files);

}  // namespace dangan::service
