// attachments.h — files attached to catalogue records: upload with virus scan, format
// identification and text extraction; download under the record's access level with a
// watermark, limits and an audit entry; preservation by fixity checks and a replica
// (D41, D42).
//
// An attachment row names a record and a blob (content, by SHA-256). Identical content
// is stored once, whatever records it is attached to. Its life:
//
//   upload ──> active ──DELETE──> removed (row kept: who, when; the blob goes when no
//                 │                        active attachment uses it any more)
//                 └──purge_record (disposal)──> removed, content destroyed
//
// Who may do what (the record's access level decides; "hidden" answers 404 exactly as
// for an attachment that does not exist, so existence is never revealed):
//   open ........ staff with record_read; patrons (portal)
//   controlled .. staff with record_read; patrons: 403 (no request module yet: when
//                 requests exist, an approved request will open the content)
//   secret ...... staff with record_secret; everyone else: hidden
// Uploads and removals need record_write (and record_secret for a secret record).
//
// Invariants:
//  - a blob row exists exactly while an active attachment uses it; its file exists
//    under its name in the blob store (and the replica) whenever its row is committed:
//    uploads of a hash and the deletion of its file take the same lock (the SQLite
//    writer lock; a PostgreSQL advisory lock on the hash) and the deleter re-checks the
//    row under it;
//  - a blob used by a controlled or secret record is encrypted at rest (an open
//    record's plaintext blob is re-written encrypted when a protected record attaches
//    the same content); blobs.text is filled before the record is re-indexed, in the
//    upload's transaction;
//  - every upload, refusal (virus), download and removal is audited in the transaction
//    that does it; each download counts towards the user's limit for 24 hours and as a
//    use of the record.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalogue/blob_store.h"
#include "catalogue/virus_scan.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::catalogue::attachments {

// The message of an upload refused for a virus starts with this (the API answers 422).
constexpr std::string_view kInfectedMessage = "the file is infected";

// What the module needs from the rest of the catalogue, passed in so that the record's
// search document and use count stay the catalogue service's business.
struct Hooks {
  // Re-indexes the record inside `tx` (its attachment texts changed). Should be
  // catalogue::Service::document_of + search::upsert.
  std::function<Status(store::Tx& tx, std::int64_t record_id)> reindex;
  // Counts a use of the record, after a download committed (catalogue::Service::count_use).
  std::function<void(std::int64_t record_id)> count_use;
  // Told of each download that committed (trace points, D33; they keep only patrons').
  std::function<void(const Actor& by, std::int64_t record_id, std::int64_t attachment_id)>
      downloaded;
  // The records whose content a patron was granted (catalogue::ContentGrants); without
  // it a controlled record's attachments stay closed to patrons.
  std::function<Result<std::vector<std::int64_t>>(store::Tx&, std::int64_t patron_id)> granted;
};

// The body of a download, already watermarked.
struct Download {
  std::string body;
  std::string content_type;
  std::string filename;
  std::string watermark;         // the line, also sent as a header
  std::string watermark_method;  // "text", "html", "pdf" or "header"
  std::int64_t attachment_id = 0;
};

struct FixityOptions {
  bool all = false;          // every blob
  int older_than_days = 30;  // otherwise: never checked, or checked this long ago
  std::string scope_label;   // what the run report calls it ("--all", "30 days")
};

struct FixityProblem {
  std::string sha256;
  std::string copy;     // "primary" or "replica"
  std::string problem;  // "missing", "mismatch", "unreadable"
  bool repaired = false;
};

struct FixityRun {
  std::int64_t id = 0;
  std::int64_t checked = 0, ok = 0, failed = 0, repaired = 0, encrypted = 0, swept = 0;
  std::vector<FixityProblem> problems;
};

class Service {
 public:
  Service(store::Database& db, const Config& config, Hooks hooks,
          const Clock& clock = system_clock());
  ~Service();

  // Attaches `content` under `filename` to a record. Fails with `invalid` (field "file")
  // when empty, over max_attachment_bytes (the message names the limit) or infected
  // (the message names the signature; the refusal is audited), `invalid` (field
  // "filename") for a bad name, `not_found` for an unknown or hidden record, `conflict`
  // for a disposed record, `unavailable` when the scanner cannot run and the policy is
  // to refuse, `forbidden` without record_write.
  Result<nlohmann::json> upload(const Actor& by, std::int64_t record_id,
                                const std::string& filename, std::string_view content);
  Result<nlohmann::json> list(const Actor& by, std::int64_t record_id, bool include_removed);
  Result<nlohmann::json> get(const Actor& by, std::int64_t attachment_id);
  // The content, watermarked for `by`; counted and audited unless `head_only`. Fails
  // with `too_many_requests` past the user's limit for the record's access level.
  Result<Download> download(const Actor& by, std::int64_t attachment_id, bool head_only = false);
  Status remove(const Actor& by, std::int64_t attachment_id, const std::string& reason);
  // The fixity report: totals, the last runs, blobs whose last check failed, and
  // attachments whose embedded signature is not intact (or could not be checked).
  Result<nlohmann::json> fixity_report(const Actor& by);

  // Electronic signatures of an attachment (attachments_signatures.h): the embedded ones
  // read at upload and the ones staff recorded; withdrawn ones only with include_removed.
  Result<nlohmann::json> signatures(const Actor& by, std::int64_t attachment_id,
                                    bool include_removed = false);
  // Records a signature that is not embedded in the file. `body`: signer (required),
  // method (detached, paper, seal, other; required), signed_at (YYYY-MM-DD or ISO 8601
  // time), certificate_ref, note. Needs record_write (and record_secret for a secret
  // record); audited as attachment.signature_record.
  Result<nlohmann::json> record_signature(const Actor& by, std::int64_t attachment_id,
                                          const nlohmann::json& body);
  // Withdraws a recorded signature (an embedded one cannot be: it is in the file).
  Status withdraw_signature(const Actor& by, std::int64_t attachment_id,
                            std::int64_t signature_id, const std::string& reason);

  BlobStore& blobs() { return *blobs_; }
  VirusScanner& scanner() { return *scanner_; }

 private:
  store::Database& db_;
  const Config& config_;
  Hooks hooks_;
  const Clock& clock_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<VirusScanner> scanner_;
};

// For disposal (inside the disposal's transaction): marks every attachment of the
// record removed, deletes the blob rows nothing else uses (their text with them) and
// returns those blobs' hashes. Call delete_blob_files() with them after the commit.
Result<std::vector<std::string>> purge_record(store::Tx& tx, std::int64_t record_id,
                                              std::int64_t by_user = 0,
                                              const Clock& clock = system_clock());
// Deletes the files (both copies) of these blobs unless an active attachment uses them
// again, and their rows if still there. Each hash is checked under the blob lock, so
// content re-uploaded meanwhile keeps its file. Opens its own write transactions: call
// it after the caller's transaction is committed *and destroyed* (a committed SQLite Tx
// holds the writer until it goes). Errors are logged, not returned: a file left behind
// is reported by fixity, never lost data.
void delete_blob_files(store::Database& db, const Config& config,
                       const std::vector<std::string>& hashes);

// Re-hashes blobs (decrypting as needed) in both copies, repairs a bad or missing copy
// from a good one, encrypts plaintext blobs that protected records now use, corrects
// the recorded encryption flag, removes stale temporary files, and stores the result
// per blob and as a run. `progress(done, total)` is called as it goes.
Result<FixityRun> run_fixity(store::Database& db, const Config& config, const FixityOptions& opt,
                             const std::function<void(std::int64_t, std::int64_t)>& progress = {},
                             const Clock& clock = system_clock());

}  // namespace dangan::catalogue::attachments
