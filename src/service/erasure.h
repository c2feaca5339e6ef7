// erasure.h — what erasing a patron does to the service desk's tables (patrons/erasure.h).
//
// Rows that count in reports stay — tickets, messages, interactions, visits, cases,
// alerts, with their kind, channel, status, times, SLA breaches and satisfaction scores —
// and every free text and contact datum in them becomes "(erased)" (an empty text stays
// empty). What serves only the person goes: files on their tickets and recordings (rows,
// and the blob files once no row uses them), queued and sent mail, portal notices, the
// sensitive mark, trace events. docs/privacy.md has the table.
#pragma once
#include "catalogue/blob_store.h"
#include "patrons/erasure.h"
#include "store/db.h"

namespace dangan::service {

struct ErasureFiles {
  catalogue::BlobStore* ticket_files = nullptr;  // TicketFiles::blob_store()
  catalogue::BlobStore* recordings = nullptr;    // Quality::recording_store()
};

// Adds the service desk's steps; `db` is used after commit to check that no other row
// still uses a blob before its file is removed.
void declare_erasure(patrons::Erasure& erasure, store::Database& db, ErasureFiles files);

}  // namespace dangan::service
