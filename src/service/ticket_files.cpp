#include "service/ticket_files.h"

#include <spdlog/spdlog.h>

#include "catalogue/attachments.h"
#include "catalogue/content.h"
#include "catalogue/watermark.h"
#include "patrons/writes.h"
#include "service/erasure.h"
#include "service/internal.h"
#include "text/text.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

// A name to keep: the last path component, without control characters, at most 200
// bytes (cut at a character boundary); "attachment" when nothing is left. Names from
// e-mail are whatever the sender's program wrote, so they are cleaned, not refused.
std::string clean_filename(const std::string& raw) {
  std::string name = raw;
  if (auto slash = name.find_last_of("/\\"); slash != std::string::npos)
    name = name.substr(slash + 1);
  std::string out;
  for (unsigned char c : name)
    if (c >= 0x20 && c != 0x7F) out += static_cast<char>(c);
  if (!text::valid_utf8(out)) out.clear();
  out = catalogue::truncate_utf8(out, 200);
  if (out.empty() || out == "." || out == "..") out = "attachment";
  return out;
}

// RFC 6266: an ASCII fallback and the UTF-8 name percent-encoded.
std::string disposition(const std::string& filename) {
  std::string ascii, encoded;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : filename) {
    if ((c & 0xC0) != 0x80)
      ascii += (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') ? static_cast<char>(c) : '_';
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 15];
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

constexpr const char* kCols =
    "id, ticket_id, ticket_message_id, sha256, filename, mime, size, internal, uploaded_by, "
    "created_at";

json file_json(const store::Row& r, bool staff) {
  json j = {{"id", r.i64(0)},        {"ticket_id", r.i64(1)}, {"message_id", opt(r.opt_i64(2))},
            {"filename", r.str(4)},  {"mime", r.str(5)},      {"size", r.i64(6)},
            {"created_at", r.str(9)}};
  if (staff) {
    j["internal"] = r.i64(7) != 0;
    j["uploaded_by"] = opt(r.opt_i64(8));
    j["sha256"] = r.str(3);
  }
  return j;
}

catalogue::BlobStoreConfig service_blobs(const Config& config) {
  auto c = catalogue::blob_store_config(config);
  // A sibling of the catalogue's directory, sharing its key.
  c.dir = c.dir.parent_path() / (c.dir.filename().string() + "-service");
  if (!c.replica_dir.empty())
    c.replica_dir = c.replica_dir.parent_path() / (c.replica_dir.filename().string() + "-service");
  return c;
}

}  // namespace

Error ScannedFile::refusal() const {
  return {ErrorCode::invalid,
          std::string(catalogue::attachments::kInfectedMessage) + " (" + signature_ +
              ") and was not stored",
          "file"};
}

TicketFiles::TicketFiles(store::Database& db, audit::ReadRecorder& reads, const Config& config,
                         catalogue::VirusScanner& scanner, const Clock& clock)
    : TicketFiles(db, reads, service_blobs(config), config.ticket_attachment_bytes, scanner,
                  config.scan_unavailable, clock) {}

TicketFiles::TicketFiles(store::Database& db, audit::ReadRecorder& reads,
                         catalogue::BlobStoreConfig blobs, std::size_t max_bytes,
                         catalogue::VirusScanner& scanner, std::string scan_unavailable,
                         const Clock& clock)
    : db_(db),
      reads_(reads),
      blobs_(std::make_unique<catalogue::BlobStore>(std::move(blobs))),
      max_bytes_(max_bytes),
      scanner_(scanner),
      scan_unavailable_(std::move(scan_unavailable)),
      clock_(clock) {}

Result<ScannedFile> TicketFiles::scan(std::string_view content) {
  ScannedFile out;
  catalogue::Sha256 hasher;
  hasher.update(content);
  out.sha256_ = hasher.hex();
  auto verdict = scanner_.scan(content);
  out.engine_ = verdict.engine;
  switch (verdict.kind) {
    case catalogue::ScanVerdict::Kind::clean:
      out.status_ = "clean";
      break;
    case catalogue::ScanVerdict::Kind::infected:
      out.status_ = "infected";
      out.signature_ = verdict.signature.empty() ? "unknown" : verdict.signature;
      spdlog::warn("event=ticket_file_infected sha256={} signature=\"{}\"", out.sha256_,
                   catalogue::ascii_line(out.signature_));
      break;
    case catalogue::ScanVerdict::Kind::unavailable:
      spdlog::warn("event=virus_scanner_unavailable what=ticket_file policy={} message=\"{}\"",
                   scan_unavailable_, verdict.message);
      if (scan_unavailable_ != "accept")
        return fail(ErrorCode::unavailable,
                    "the virus scanner is not available, so the file was not stored; try again "
                    "later or ask an administrator (see the server log)");
      out.status_ = "unscanned";
      break;
  }
  return out;
}

Result<json> TicketFiles::add(store::Tx& tx, std::int64_t ticket_id,
                              std::optional<std::int64_t> message_id, const std::string& filename,
                              const std::string& content, const ScannedFile& scanned, bool internal,
                              std::optional<std::int64_t> uploaded_by) {
  if (content.empty()) return invalid("file", "the file is empty");
  if (content.size() > max_bytes_)
    return invalid("file",
                   "the file is larger than the limit of " + std::to_string(max_bytes_) + " bytes");
  catalogue::Sha256 hasher;
  hasher.update(content);
  std::string sha = hasher.hex();
  // The verdict must be about these bytes.
  if (sha != scanned.sha256())
    return fail(ErrorCode::internal, "the file changed after it was scanned");
  if (scanned.infected()) return std::unexpected(scanned.refusal());
  // An erasure may be removing this content's file (erasure.h).
  TRY_STATUS(lock_blob(tx, sha));
  if (!blobs_->exists(sha)) {
    auto staged = TRY(blobs_->stage(sha, content, true));
    TRY_STATUS(blobs_->publish(staged));
  }
  auto id = catalogue::identify(content);
  auto row = TRY(tx.one(
      "INSERT INTO ticket_attachments (ticket_id, ticket_message_id, sha256, filename, mime, "
      "size, internal, uploaded_by, created_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING " +
          std::string(kCols),
      {ticket_id, store::opt(message_id), sha, clean_filename(filename), id.mime,
       static_cast<std::int64_t>(content.size()), static_cast<std::int64_t>(internal ? 1 : 0),
       store::opt(uploaded_by), format_time(clock_.now())},
      "attachment"));
  json out = file_json(row, true);
  out["scan_status"] = scanned.status();
  return out;
}

Result<json> TicketFiles::upload(const Actor& by, std::int64_t ticket_id,
                                 std::optional<std::int64_t> message_id,
                                 const std::string& filename, const std::string& content) {
  bool patron = by.role == Role::patron;
  if (!patron) TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  if (filename.empty()) return invalid("filename", "give the file's name: ?filename=scan.pdf");
  // The ticket and message as this actor may use them; checked before the scan (so no
  // one learns anything of a ticket they may not see) and again in the write.
  struct Target {
    std::optional<std::int64_t> patron_id;
    bool internal = false;
  };
  auto check = [&](store::Tx& tx) -> Result<Target> {
    auto t = TRY(load(tx, ticket_id));
    TRY_STATUS(may_see(by, t));
    if (t.status == "closed") return conflict("the ticket is closed", "status");
    TRY_STATUS(patrons::refuse_if_erased(tx, t.patron_id));
    Target target{t.patron_id, false};
    if (message_id) {
      auto m = TRY(tx.maybe_one("SELECT kind FROM ticket_messages WHERE id = ? AND ticket_id = ?",
                                {*message_id, ticket_id}));
      if (!m) return invalid("message_id", "no such message on this ticket");
      if (patron && m->str(0) != "patron")
        return invalid("message_id", "attach files to your own messages");
      target.internal = m->str(0) == "note";
    }
    return target;
  };
  {
    auto tx = TRY(db_.begin(store::TxMode::read));
    TRY(check(*tx));
  }
  if (content.empty()) return invalid("file", "the file is empty");
  if (content.size() > max_bytes_)
    return invalid("file",
                   "the file is larger than the limit of " + std::to_string(max_bytes_) + " bytes");
  auto scanned = TRY(scan(content));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto target = TRY(check(*tx));
  if (scanned.infected()) {
    TRY_STATUS(audit::append(*tx, by,
                             {"ticket.attach_refused",
                              "ticket",
                              std::to_string(ticket_id),
                              target.patron_id,
                              "virus found",
                              {{"sha256", scanned.sha256()},
                               {"size", content.size()},
                               {"mime", catalogue::identify(content).mime},
                               {"signature", scanned.signature()},
                               {"engine", scanned.engine()}}},
                             clock_));
    TRY_STATUS(tx->commit());
    return std::unexpected(scanned.refusal());
  }
  auto out = TRY(
      add(*tx, ticket_id, message_id, filename, content, scanned, target.internal, author_of(by)));
  TRY_STATUS(audit::append(*tx, by,
                           {"ticket.attach",
                            "ticket",
                            std::to_string(ticket_id),
                            target.patron_id,
                            "",
                            {{"attachment_id", out["id"]},
                             {"mime", out["mime"]},
                             {"size", out["size"]},
                             {"scan_status", scanned.status()}}},
                           clock_));
  TRY_STATUS(tx->commit());
  if (patron)
    for (const char* k : {"internal", "uploaded_by", "sha256", "scan_status"}) out.erase(k);
  return out;
}

Result<json> TicketFiles::list(const Actor& by, std::int64_t ticket_id) {
  bool patron = by.role == Role::patron;
  if (!patron) TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto t = TRY(load(*tx, ticket_id));
  TRY_STATUS(may_see(by, t));
  auto rows = TRY(tx->query(std::string("SELECT ") + kCols +
                                " FROM ticket_attachments WHERE ticket_id = ? " +
                                (patron ? "AND internal = 0 " : "") + "ORDER BY id",
                            {ticket_id}));
  json items = json::array();
  for (auto& r : rows) items.push_back(file_json(r, !patron));
  return json{{"items", items}};
}

Result<FileDownload> TicketFiles::download(const Actor& by, std::int64_t id) {
  bool patron = by.role == Role::patron;
  if (!patron) TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  std::string sha, filename, mime;
  std::int64_t ticket_id = 0;
  std::optional<std::int64_t> patron_id;
  {
    auto tx = TRY(db_.begin(store::TxMode::read));
    auto row = TRY(tx->maybe_one(
        std::string("SELECT ") + kCols + " FROM ticket_attachments WHERE id = ?", {id}));
    if (!row) return not_found("no such attachment");
    auto t = load(*tx, row->i64(1));
    if (!t || !may_see(by, *t)) return not_found("no such attachment");
    if (patron && row->i64(7) != 0) return not_found("no such attachment");
    sha = row->str(3);
    filename = row->str(4);
    mime = row->str(5);
    ticket_id = t->id;
    patron_id = t->patron_id;
  }
  auto body = TRY(blobs_->read(sha));
  if (!patron && patron_id)
    reads_.record(by, {"ticket.attachment_read",
                       "ticket",
                       std::to_string(ticket_id),
                       patron_id,
                       "",
                       {{"attachment_id", id}}});
  return FileDownload{std::move(body), mime, disposition(filename)};
}

}  // namespace dangan::service
