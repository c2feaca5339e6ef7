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
//
// Virus scan (D41): every file is scanned by the catalogue's in-process ClamAV engine
// (one engine per process, shared) before its write transaction opens. An infected file
// is never stored: an upload is refused (the message starts with
// catalogue::attachments::kInfectedMessage; the API answers 422) and the refusal is
// audited ("ticket.attach_refused"); an infected e-mail attachment is left out, said in
// the thread and audited. When the scanner cannot run, the catalogue's policy
// (Config::scan_unavailable) decides: "refuse" answers `unavailable` (e-mail then stays
// in the Maildir and is tried again), "accept" stores the file with scan_status
// "unscanned" in its audit entry.
// Invariants: a row is written in the transaction that adds it, after its blob file is
// in place; add() takes only a ScannedFile made by scan(), so nothing is stored
// unscanned by accident; each upload, refusal and each staff download of a ticket with a
// patron is audited.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "audit/audit.h"
#include "catalogue/blob_store.h"
#include "catalogue/virus_scan.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::service {

struct FileDownload {
  std::string body, content_type, filename;  // filename: a Content-Disposition value
};

// The scanner's word on one file's bytes; only TicketFiles::scan() makes one.
class ScannedFile {
 public:
  bool infected() const { return !signature_.empty(); }
  const std::string& signature() const { return signature_; }  // infected: the signature
  const std::string& status() const { return status_; }        // clean | infected | unscanned
  const std::string& engine() const { return engine_; }
  const std::string& sha256() const { return sha256_; }
  // The refusal of an infected file (field "file"; starts with kInfectedMessage).
  Error refusal() const;

 private:
  friend class TicketFiles;
  ScannedFile() = default;
  std::string status_, signature_, engine_, sha256_;
};

class TicketFiles {
 public:
  // `scanner`: the process's ClamAV engine (catalogue::attachments::Service::scanner());
  // `scan_unavailable`: "refuse" or "accept" (Config::scan_unavailable).
  TicketFiles(store::Database& db, audit::ReadRecorder& reads, const Config& config,
              catalogue::VirusScanner& scanner, const Clock& clock = system_clock());
  TicketFiles(store::Database& db, audit::ReadRecorder& reads, catalogue::BlobStoreConfig blobs,
              std::size_t max_bytes, catalogue::VirusScanner& scanner, std::string scan_unavailable,
              const Clock& clock = system_clock());

  // Scans `content` outside any transaction. Infected: a ScannedFile saying so (the
  // caller audits and refuses); scanner unavailable under the "refuse" policy: the error
  // `unavailable`.
  Result<ScannedFile> scan(std::string_view content);
  // Adds a scanned file to ticket `ticket_id` (on message `message_id` if given) inside
  // `tx`, after the checks of the caller; refuses an infected one. `uploaded_by`: none
  // when it came by e-mail.
  Result<nlohmann::json> add(store::Tx& tx, std::int64_t ticket_id,
                             std::optional<std::int64_t> message_id, const std::string& filename,
                             const std::string& content, const ScannedFile& scanned, bool internal,
                             std::optional<std::int64_t> uploaded_by);
  // A staff member or the ticket's patron uploads a file (on a message of the ticket:
  // patrons only on their own messages; a file on a note is internal).
  Result<nlohmann::json> upload(const Actor& by, std::int64_t ticket_id,
                                std::optional<std::int64_t> message_id, const std::string& filename,
                                const std::string& content);
  Result<nlohmann::json> list(const Actor& by, std::int64_t ticket_id);
  Result<FileDownload> download(const Actor& by, std::int64_t id);
  std::size_t max_bytes() const { return max_bytes_; }
  // The blob store of ticket files: erasure removes a patron's files from it.
  catalogue::BlobStore& blob_store() { return *blobs_; }

 private:
  store::Database& db_;
  audit::ReadRecorder& reads_;
  std::unique_ptr<catalogue::BlobStore> blobs_;
  std::size_t max_bytes_;
  catalogue::VirusScanner& scanner_;
  std::string scan_unavailable_;
  const Clock& clock_;
};

}  // namespace dangan::service
