// ticket_files.h — files on ticket messages: what a patron uploads on the portal, what
// staff attach to a reply or note, the attachments of e-mail taken in, a scanned fax.
//
// Content lives in its own content-addressed blob store (catalogue/blob_store.h) beside
// the catalogue's, "<blob_dir>-service", always encrypted at rest with the same key:
// a ticket's files are personal data, and they are never deleted together with a
// catalogue record that happens to have the same bytes. The MIME type comes from the
// bytes (libmagic), never from the client.
//
// Who sees a file: whoever may see the ticket (tickets.h), except that a file on an
// internal note is staff-only; for anyone else it does not exist (not_found).
// Invariants: a row is written in the transaction that adds it, after its blob file is
// in place; each upload and each staff download of a ticket with a patron is audited.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "audit/audit.h"
#include "catalogue/blob_store.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::service {

struct FileDownload {
  std::string body, content_type, filename;  // filename: a Content-Disposition value
};

class TicketFiles {
 public:
  TicketFiles(store::Database& db, audit::ReadRecorder& reads, const Config& config,
              const Clock& clock = system_clock());
  TicketFiles(store::Database& db, audit::ReadRecorder& reads, catalogue::BlobStoreConfig blobs,
              std::size_t max_bytes, const Clock& clock = system_clock());

  // Adds a file to ticket `ticket_id` (on message `message_id` if given) inside `tx`,
  // after the checks of the caller. `uploaded_by`: none when it came by e-mail.
  Result<nlohmann::json> add(store::Tx& tx, std::int64_t ticket_id,
                             std::optional<std::int64_t> message_id, const std::string& filename,
                             const std::string& content, bool internal,
                             std::optional<std::int64_t> uploaded_by);
  // A staff member or the ticket's patron uploads a file (on a message of the ticket:
  // patrons only on their own messages; a file on a note is internal).
  Result<nlohmann::json> upload(const Actor& by, std::int64_t ticket_id,
                                std::optional<std::int64_t> message_id, const std::string& filename,
                                const std::string& content);
  Result<nlohmann::json> list(const Actor& by, std::int64_t ticket_id);
  Result<FileDownload> download(const Actor& by, std::int64_t id);
  std::size_t max_bytes() const { return max_bytes_; }

 private:
  store::Database& db_;
  audit::ReadRecorder& reads_;
  std::unique_ptr<catalogue::BlobStore> blobs_;
  std::size_t max_bytes_;
  const Clock& clock_;
};

}  // namespace dangan::service
