#include "catalogue/attachments.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>

#include "audit/audit.h"
#include "auth/auth.h"
#include "catalogue/attachments_internal.h"
#include "catalogue/attachments_signatures.h"
#include "catalogue/catalogue.h"
#include "catalogue/internal.h"
#include "catalogue/content.h"
#include "catalogue/watermark.h"
#include "patrons/timeline.h"
#include "text/text.h"

namespace dangan::catalogue::attachments {

using json = nlohmann::json;
using auth::Permission;

namespace detail {

Status lock_blob(store::Tx& tx, std::string_view sha256) {
  if (tx.backend() != store::Backend::postgres) return {};
  constexpr std::int64_t kBlobSpace = 0x626c6f62;  // "blob"
  auto first32 =
      static_cast<std::uint32_t>(std::stoul(std::string(sha256.substr(0, 8)), nullptr, 16));
  TRY(tx.query("SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), CAST(? AS INTEGER))",
               {kBlobSpace, static_cast<std::int64_t>(static_cast<std::int32_t>(first32))}));
  return {};
}

Access read_access(const Actor& by, const std::string& level) {
  if (by.role == Role::system) return Access::allowed;
  if (by.role == Role::patron) {
    // By level alone; readable_record also weighs the patron's own files, embargoes
    // and grants (catalogue::patron_view).
    if (level == "open") return Access::allowed;
    return level == "controlled" ? Access::forbidden : Access::hidden;
  }
  if (level == "secret")
    return auth::allowed(by.role, Permission::record_secret) ? Access::allowed : Access::hidden;
  return auth::allowed(by.role, Permission::record_read) ? Access::allowed : Access::forbidden;
}

Result<bool> drop_blob_if_unused(store::Tx& tx, const std::string& sha256) {
  auto used = TRY(tx.one("SELECT COUNT(*) FROM attachments WHERE sha256 = ? AND removed = 0",
                         {sha256}, "blob use"));
  if (used.i64(0) > 0) return false;
  TRY(tx.exec("UPDATE attachments SET removed_sha256 = sha256, sha256 = NULL WHERE sha256 = ?",
              {sha256}));
  return TRY(tx.exec("DELETE FROM blobs WHERE sha256 = ?", {sha256})) > 0;
}

}  // namespace detail

namespace {

using detail::Access;

struct RecordInfo {
  std::int64_t id = 0;
  std::string reference_code, access_level, status;
  std::optional<std::int64_t> patron_id;
  bool legal_hold = false;
  std::string embargo_until;  // YYYY-MM-DD, or empty
};

Result<std::optional<RecordInfo>> find_record(store::Tx& tx, std::int64_t id) {
  auto row = TRY(tx.maybe_one(
      "SELECT id, reference_code, access_level, status, patron_id, legal_hold, embargo_until "
      "FROM records WHERE id = ?",
      {id}));
  if (!row) return std::optional<RecordInfo>{};
  return std::optional<RecordInfo>{RecordInfo{row->i64(0), row->str(1), row->str(2), row->str(3),
                                              row->opt_i64(4), row->i64(5) != 0,
                                              row->is_null(6) ? "" : row->str(6)}};
}

// Staff with `p` (system too); patrons never.
Status staff_may(const Actor& by, Permission p) {
  if (by.role == Role::patron) return forbidden("portal accounts may not change attachments");
  return auth::require(by, p);
}

// What a portal account may do with a record's attachments: catalogue::patron_view,
// with the reason when it sees the catalogue entry only.
Result<RecordInfo> patron_readable(store::Tx& tx, const Actor& by, RecordInfo r,
                                   const Hooks& hooks, const Clock& clock) {
  std::string today = catalogue::detail::today_text(clock);
  bool own = by.patron_id && r.patron_id == by.patron_id;
  bool embargoed = !r.embargo_until.empty() && r.embargo_until > today;
  bool granted = false;
  if (r.access_level == "controlled" && !own && by.patron_id && hooks.granted) {
    auto ids = TRY(hooks.granted(tx, *by.patron_id));
    granted = std::find(ids.begin(), ids.end(), r.id) != ids.end();
  }
  switch (patron_view(r.access_level, own, embargoed, granted)) {
    case RecordView::full:
      return r;
    case RecordView::entry:
      if (embargoed)
        return forbidden("this record is under embargo until " + r.embargo_until +
                         ": its attachments open then");
      return forbidden(
          "this record is controlled: its attachments open once a manager approves your loan "
          "of it");
    case RecordView::none:
      break;
  }
  return not_found("no such record");
}

// The record as `by` may see it for reading attachments.
Result<RecordInfo> readable_record(store::Tx& tx, const Actor& by, std::int64_t id,
                                   const Hooks& hooks, const Clock& clock) {
  if (by.role != Role::patron && by.role != Role::system &&
      !auth::allowed(by.role, Permission::record_read) &&
      !auth::allowed(by.role, Permission::record_secret))
    return forbidden("your role (" + std::string(to_string(by.role)) + ") may not read records");
  auto r = TRY(find_record(tx, id));
  if (!r) return not_found("no such record");
  if (by.role == Role::patron) return patron_readable(tx, by, *r, hooks, clock);
  switch (detail::read_access(by, r->access_level)) {
    case Access::allowed:
      return *r;
    case Access::forbidden:
      return forbidden("your role may not read this record's attachments");
    case Access::hidden:
      break;
  }
  return not_found("no such record");
}

// The record for a change by `by` (record_write, and record_secret for secret records).
Result<RecordInfo> writable_record(store::Tx& tx, const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, Permission::record_write));
  auto r = TRY(find_record(tx, id));
  if (!r || detail::read_access(by, r->access_level) == Access::hidden)
    return not_found("no such record");
  return *r;
}

const char* kColumns =
    "a.id, a.record_id, a.filename, a.mime, a.size, a.sha256, a.removed, a.created_by, "
    "a.created_at, a.removed_at, a.removed_by, a.removed_sha256, b.format, b.encrypted, "
    "b.scan_status, b.scanned_at, b.text_status, b.fixity_checked_at, b.fixity_ok, b.charset";

json to_json(const store::Row& r, const Actor& by) {
  json j = {{"id", r.i64(0)},         {"record_id", r.i64(1)},   {"filename", r.str(2)},
            {"mime", r.str(3)},       {"size", r.i64(4)},        {"format", r.str(12)},
            {"created_at", r.str(8)}, {"removed", r.i64(6) != 0}};
  if (by.role == Role::patron) return j;
  auto opt_text = [&](std::size_t i) { return r.is_null(i) ? json() : json(r.str(i)); };
  auto opt_int = [&](std::size_t i) { return r.is_null(i) ? json() : json(r.i64(i)); };
  j["sha256"] = r.is_null(5) ? opt_text(11) : opt_text(5);
  j["content_destroyed"] = r.is_null(5);
  j["created_by"] = opt_int(7);
  j["removed_at"] = opt_text(9);
  j["removed_by"] = opt_int(10);
  j["encrypted"] = r.is_null(13) ? json() : json(r.i64(13) != 0);
  j["scan_status"] = opt_text(14);
  j["scanned_at"] = opt_text(15);
  j["text_status"] = opt_text(16);
  j["fixity"] = {{"checked_at", opt_text(17)},
                 {"ok", r.is_null(18) ? json() : json(r.i64(18) != 0)}};
  return j;
}

Result<json> attachment_json(store::Tx& tx, std::int64_t id, const Actor& by) {
  auto row = TRY(tx.one(std::string("SELECT ") + kColumns +
                            " FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.sha256 "
                            "WHERE a.id = ?",
                        {id}, "attachment"));
  return to_json(row, by);
}

Result<std::string> check_filename(const std::string& name) {
  if (name.empty()) return invalid("filename", "give the file's name: ?filename=report.pdf");
  if (name.size() > 255) return invalid("filename", "at most 255 bytes");
  if (!text::valid_utf8(name)) return invalid("filename", "must be valid UTF-8");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7F || c == '/' || c == '\\')
      return invalid("filename", "a file name without folders or control characters");
  if (name == "." || name == "..") return invalid("filename", "not a file name");
  return name;
}

std::string bytes_text(std::size_t n) {
  if (n >= (1u << 20) && n % (1u << 20) == 0) return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}

// RFC 6266: an ASCII fallback and the UTF-8 name percent-encoded.
std::string content_disposition(const std::string& filename) {
  std::string ascii, encoded;
  for (unsigned char c : filename) {
    if ((c & 0xC0) != 0x80)  // one '_' per character that is not plain ASCII
      ascii += (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') ? static_cast<char>(c) : '_';
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789ABCDEF";
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 15];
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

int limit_for(const Config& c, const std::string& level) {
  if (level == "secret") return c.download_limit_secret;
  if (level == "controlled") return c.download_limit_controlled;
  return c.download_limit_open;
}


const char* kSignatureColumns =
    "id, attachment_id, source, field_name, signer, signed_at, method, certificate_ref, note, "
    "integrity, detail, created_by, created_at, removed, removed_by, removed_at";

json signature_json(const store::Row& r, const Actor& by) {
  auto opt_text = [&](std::size_t i) { return r.is_null(i) ? json() : json(r.str(i)); };
  auto opt_int = [&](std::size_t i) { return r.is_null(i) ? json() : json(r.i64(i)); };
  bool embedded = r.str(2) == "embedded";
  json j = {{"id", r.i64(0)},
            {"attachment_id", r.i64(1)},
            {"source", r.str(2)},
            {"signer", opt_text(4)},
            {"signed_at", opt_text(5)},
            {"method", r.str(6)},
            // Integrity is checked for embedded signatures only; trust never (see
            // attachments_signatures.h).
            {"integrity", opt_text(9)},
            {"trust", embedded ? json("not_verified") : json()}};
  if (by.role == Role::patron) return j;
  j["field"] = opt_text(3);
  j["certificate_ref"] = opt_text(7);
  j["note"] = opt_text(8);
  json detail = json::parse(r.str(10), nullptr, false);
  j["detail"] = embedded && !detail.is_discarded() ? detail : json();
  j["created_by"] = opt_int(11);
  j["created_at"] = r.str(12);
  j["removed"] = r.i64(13) != 0;
  j["removed_by"] = opt_int(14);
  j["removed_at"] = opt_text(15);
  return j;
}

// The signatures of these attachments, by attachment id, in the order they were stored.
Result<std::map<std::int64_t, json>> signatures_of(store::Tx& tx,
                                                    const std::vector<std::int64_t>& ids,
                                                    const Actor& by, bool include_removed) {
  std::map<std::int64_t, json> out;
  for (auto id : ids) out[id] = json::array();
  if (ids.empty()) return out;
  store::Params params;
  auto rows =
      TRY(tx.query(std::string("SELECT ") + kSignatureColumns +
                       " FROM attachment_signatures WHERE attachment_id IN " +
                       store::in_ids(ids, params) +
                       (include_removed && by.role != Role::patron ? "" : " AND removed = 0") +
                       " ORDER BY attachment_id, id",
                   params));
  for (auto& r : rows) out[r.i64(1)].push_back(signature_json(r, by));
  return out;
}

// Stores what inspect_pdf_signatures found for a new attachment.
Status store_embedded(store::Tx& tx, std::int64_t attachment_id, const std::vector<json>& found,
                      std::int64_t by_user, const std::string& now) {
  for (const json& s : found) {
    json signer = s["name"];
    if (!signer.is_string() && s["certificate"].is_object())
      signer = s["certificate"]["subject"];
    json method = s["sub_filter"].is_string() ? s["sub_filter"] : json("pdf");
    TRY(tx.exec(
        "INSERT INTO attachment_signatures (attachment_id, source, field_name, signer, signed_at, "
        "method, integrity, detail, created_by, created_at) VALUES (?,'embedded',?,?,?,?,?,?,?,?)",
        {attachment_id, s["field"].get<std::string>(),
         signer.is_string() ? store::Value(signer.get<std::string>()) : store::null_value(),
         s["signing_time"].is_string() ? store::Value(s["signing_time"].get<std::string>())
                                       : store::null_value(),
         method.get<std::string>(), s["integrity"].get<std::string>(), s.dump(),
         by_user ? store::Value(by_user) : store::null_value(), now}));
  }
  return {};
}

std::string trim_text(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// YYYY-MM-DD, or an ISO 8601 time (stored as given).
bool valid_signed_at(const std::string& s) {
  if (s.size() == 10) {
    for (std::size_t i = 0; i < 10; ++i)
      if ((i == 4 || i == 7) ? s[i] != '-' : !std::isdigit(static_cast<unsigned char>(s[i])))
        return false;
    int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
  }
  return parse_time(s).has_value();
}

}  // namespace

Service::Service(store::Database& db, const Config& config, Hooks hooks, const Clock& clock)
    : db_(db),
      config_(config),
      hooks_(std::move(hooks)),
      clock_(clock),
      blobs_(std::make_unique<BlobStore>(blob_store_config(config))),
      scanner_(std::make_unique<VirusScanner>(config.clamav_db, config.max_attachment_bytes)) {}

Service::~Service() = default;

Result<json> Service::upload(const Actor& by, std::int64_t record_id, const std::string& raw_name,
                             std::string_view content) {
  TRY_STATUS(staff_may(by, Permission::record_write));
  std::string filename = TRY(check_filename(raw_name));
  if (content.empty()) return invalid("file", "the file is empty");
  if (content.size() > config_.max_attachment_bytes)
    return invalid(
        "file", "the file is larger than the limit of " + bytes_text(config_.max_attachment_bytes));

  Sha256 hasher;
  hasher.update(content);
  std::string sha = hasher.hex();

  RecordInfo record;
  std::optional<store::Row> existing;  // encrypted, text_status, file present
  {
    auto tx = TRY(db_.begin(store::TxMode::read));
    record = TRY(writable_record(*tx, by, record_id));
    existing =
        TRY(tx->maybe_one("SELECT encrypted, text_status FROM blobs WHERE sha256 = ?", {sha}));
  }
  if (record.status == "disposed")
    return conflict("the record was disposed; it takes no attachments");

  Identification id = identify(content);
  std::vector<json> embedded;
  if (id.mime == "application/pdf") embedded = inspect_pdf_signatures(content);
  ScanVerdict verdict = scanner_->scan(content);
  if (verdict.kind == ScanVerdict::Kind::infected) {
    spdlog::warn("event=attachment_infected record_id={} sha256={} signature=\"{}\" request_id={}",
                 record_id, sha, ascii_line(verdict.signature), by.request_id);
    auto tx = TRY(db_.begin(store::TxMode::write));
    TRY_STATUS(audit::append(*tx, by,
                             {"attachment.refused",
                              "record",
                              std::to_string(record_id),
                              record.patron_id,
                              "virus found",
                              {{"record_id", record_id},
                               {"sha256", sha},
                               {"size", content.size()},
                               {"mime", id.mime},
                               {"signature", verdict.signature},
                               {"engine", verdict.engine}}},
                             clock_));
    TRY_STATUS(tx->commit());
    return invalid(
        "file", std::string(kInfectedMessage) + " (" + verdict.signature + ") and was not stored");
  }
  std::string scan_status = "clean";
  if (verdict.kind == ScanVerdict::Kind::unavailable) {
    spdlog::warn("event=virus_scanner_unavailable policy={} message=\"{}\" request_id={}",
                 config_.scan_unavailable, verdict.message, by.request_id);
    if (config_.scan_unavailable != "accept")
      return fail(ErrorCode::unavailable,
                  "the virus scanner is not available, so the file was not stored; try again "
                  "later or ask an administrator (see the server log)");
    scan_status = "unscanned";
  }

  bool have_text = existing && existing->str(1) != "none";
  ExtractedText extracted;
  if (!have_text) extracted = extract_text(content, id);

  bool protect = record.access_level != "open";
  bool blob_encrypted = existing && existing->i64(0) != 0;
  bool encrypt = protect || blob_encrypted;
  BlobStore::Staged staged;
  // An existing file that is as protected as this record needs stays as it is.
  if (!existing || !blobs_->exists(sha) || (encrypt && !blob_encrypted))
    staged = TRY(blobs_->stage(sha, content, encrypt));

  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY_STATUS(detail::lock_blob(*tx, sha));
  record = TRY(writable_record(*tx, by, record_id));
  if (record.status == "disposed")
    return conflict("the record was disposed; it takes no attachments");
  if (record.access_level != "open" && !encrypt)
    return conflict("the record's access level changed during the upload; send the file again");
  std::string now = format_time(clock_.now());
  auto row = TRY(tx->maybe_one("SELECT encrypted, text_status FROM blobs WHERE sha256 = ?", {sha}));
  bool file_present = blobs_->exists(sha);
  if (!row || !file_present || (encrypt && row->i64(0) == 0)) {
    // The file must be in place before the row is committed; it may have been deleted
    // since we looked (its last attachment removed), so stage now if we did not.
    if (staged.sha256().empty()) staged = TRY(blobs_->stage(sha, content, encrypt));
    TRY_STATUS(blobs_->publish(staged));
  }
  if (!row) {
    TRY(tx->exec(
        "INSERT INTO blobs (sha256, size, mime, encrypted, key_id, text, text_status, format, "
        "format_detail, charset, scan_status, scan_engine, scanned_at, created_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        {sha, static_cast<std::int64_t>(content.size()), id.mime, std::int64_t{encrypt ? 1 : 0},
         encrypt ? store::Value(staged.key_id()) : store::null_value(),
         extracted.status == ExtractedText::Status::extracted ? store::Value(extracted.text)
                                                              : store::null_value(),
         std::string(to_string(extracted.status)), id.format, id.description,
         id.charset.empty() ? store::null_value() : store::Value(id.charset), scan_status,
         verdict.engine.empty() ? store::null_value() : store::Value(verdict.engine),
         scan_status == "clean" ? store::Value(now) : store::null_value(), now}));
  } else {
    if (encrypt && row->i64(0) == 0)
      TRY(tx->exec("UPDATE blobs SET encrypted = 1, key_id = ? WHERE sha256 = ?",
                   {staged.key_id(), sha}));
    if (scan_status == "clean")
      TRY(
          tx->exec("UPDATE blobs SET scan_status = 'clean', scan_engine = ?, scanned_at = ? "
                   "WHERE sha256 = ?",
                   {verdict.engine, now, sha}));
    if (row->str(1) == "none" && extracted.status != ExtractedText::Status::none)
      TRY(tx->exec(
          "UPDATE blobs SET text = ?, text_status = ? WHERE sha256 = ?",
          {extracted.status == ExtractedText::Status::extracted ? store::Value(extracted.text)
                                                                : store::null_value(),
           std::string(to_string(extracted.status)), sha}));
  }
  auto inserted = TRY(tx->one(
      "INSERT INTO attachments (record_id, sha256, filename, mime, size, removed, created_by, "
      "created_at) VALUES (?,?,?,?,?,0,?,?) RETURNING id",
      {record_id, sha, filename, id.mime, static_cast<std::int64_t>(content.size()),
       by.user_id ? store::Value(by.user_id) : store::null_value(), now},
      "attachment"));
  std::int64_t attachment_id = inserted.i64(0);
  TRY_STATUS(store_embedded(*tx, attachment_id, embedded, by.user_id, now));
  json signature_summary = json::array();
  for (const json& sig : embedded)
    signature_summary.push_back({{"field", sig["field"]}, {"integrity", sig["integrity"]}});
  if (hooks_.reindex) TRY_STATUS(hooks_.reindex(*tx, record_id));
  TRY_STATUS(audit::append(*tx, by,
                           {"attachment.create",
                            "attachment",
                            std::to_string(attachment_id),
                            record.patron_id,
                            "",
                            {{"record_id", record_id},
                             {"sha256", sha},
                             {"size", content.size()},
                             {"mime", id.mime},
                             {"format", id.format},
                             {"encrypted", encrypt},
                             {"scan_status", scan_status},
                             {"deduplicated", row.has_value()},
                             {"signatures", signature_summary}}},
                           clock_));
  if (record.patron_id)
    TRY(timeline::append(*tx, by,
                         {*record.patron_id,
                          "record.attachment_added",
                          "Attachment " + filename + " added to record " + record.reference_code,
                          {{"record_id", record_id}, {"attachment_id", attachment_id}},
                          "record",
                          std::to_string(record_id)},
                         clock_));
  json out = TRY(attachment_json(*tx, attachment_id, by));
  out["signatures"] = TRY(signatures_of(*tx, {attachment_id}, by, false))[attachment_id];
  TRY_STATUS(tx->commit());
  if (!extracted.note.empty())
    spdlog::info("event=attachment_text attachment_id={} status={} note=\"{}\"", attachment_id,
                 to_string(extracted.status), extracted.note);
  return out;
}

Result<json> Service::list(const Actor& by, std::int64_t record_id, bool include_removed) {
  auto tx = TRY(db_.begin(store::TxMode::read));
  TRY(readable_record(*tx, by, record_id, hooks_, clock_));
  if (include_removed && by.role == Role::patron) include_removed = false;
  auto rows = TRY(tx->query(std::string("SELECT ") + kColumns +
                                " FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.sha256 "
                                "WHERE a.record_id = ?" +
                                (include_removed ? "" : " AND a.removed = 0") + " ORDER BY a.id",
                            {record_id}));
  json items = json::array();
  std::vector<std::int64_t> ids;
  for (auto& r : rows) {
    items.push_back(to_json(r, by));
    ids.push_back(r.i64(0));
  }
  auto sigs = TRY(signatures_of(*tx, ids, by, false));
  for (auto& item : items) item["signatures"] = sigs[item["id"].get<std::int64_t>()];
  return json{{"items", items}, {"next_cursor", nullptr}};
}

Result<json> Service::get(const Actor& by, std::int64_t attachment_id) {
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rec = TRY(
      tx->maybe_one("SELECT record_id, removed FROM attachments WHERE id = ?", {attachment_id}));
  if (!rec) return not_found("no such attachment");
  auto record = readable_record(*tx, by, rec->i64(0), hooks_, clock_);
  if (!record) {
    if (record.error().code == ErrorCode::not_found) return not_found("no such attachment");
    return std::unexpected(record.error());
  }
  if (rec->i64(1) != 0 && by.role == Role::patron) return not_found("no such attachment");
  json out = TRY(attachment_json(*tx, attachment_id, by));
  out["signatures"] = TRY(signatures_of(*tx, {attachment_id}, by, false))[attachment_id];
  return out;
}

Result<Download> Service::download(const Actor& by, std::int64_t attachment_id, bool head_only) {
  std::string sha, filename, mime, charset;
  RecordInfo record;
  {
    auto tx = TRY(db_.begin(store::TxMode::read));
    auto a = TRY(
        tx->maybe_one("SELECT a.record_id, a.sha256, a.filename, a.mime, a.removed, b.charset "
                      "FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.sha256 WHERE a.id = ?",
                      {attachment_id}));
    if (!a) return not_found("no such attachment");
    auto r = readable_record(*tx, by, a->i64(0), hooks_, clock_);
    if (!r) {
      if (r.error().code == ErrorCode::not_found) return not_found("no such attachment");
      return std::unexpected(r.error());
    }
    record = *r;
    if (a->i64(4) != 0 || a->is_null(1)) return not_found("this attachment was removed");
    sha = a->str(1);
    filename = a->str(2);
    mime = a->str(3);
    charset = a->str(5);
  }
  Download d;
  d.attachment_id = attachment_id;
  d.filename = content_disposition(filename);
  d.content_type = mime;
  if (head_only) return d;

  auto plaintext = blobs_->read(sha);
  if (!plaintext) {
    spdlog::error("event=attachment_content_unreadable attachment_id={} sha256={} error=\"{}\"",
                  attachment_id, sha, plaintext.error().message);
    return fail(ErrorCode::internal, plaintext.error().message);
  }
  TimePoint now = clock_.now();
  std::string now_text = format_time(now);
  d.watermark = "dangan: downloaded by " + by.username + " (user " + std::to_string(by.user_id) +
                ") at " + now_text.substr(0, 19) + "Z, attachment " +
                std::to_string(attachment_id) + " of record " + std::to_string(record.id);
  d.watermark = ascii_line(d.watermark);

  auto tx = TRY(db_.begin(store::TxMode::write));
  if (int limit = limit_for(config_, record.access_level); limit > 0) {
    if (tx->backend() == store::Backend::postgres)
      TRY(tx->query("SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), CAST(? AS INTEGER))",
                    {std::int64_t{0x646e6c64} /* "dnld" */,
                     static_cast<std::int64_t>(static_cast<std::int32_t>(by.user_id))}));
    std::string since = format_time(now - std::chrono::hours(24));
    auto used = TRY(tx->one(
        "SELECT COUNT(*), MIN(downloaded_at) FROM attachment_downloads WHERE user_id = ? AND "
        "access_level = ? AND downloaded_at > ?",
        {by.user_id, record.access_level, since}, "downloads"));
    if (used.i64(0) >= limit) {
      auto oldest = parse_time(used.str(1));
      std::string next =
          oldest ? format_time(*oldest + std::chrono::hours(24)).substr(0, 19) + "Z" : "later";
      return fail(ErrorCode::too_many_requests,
                  "you have downloaded " + std::to_string(limit) + " " + record.access_level +
                      " attachments in the last 24 hours, the limit; the next is possible at " +
                      next);
    }
  }
  TRY(
      tx->exec("INSERT INTO attachment_downloads (attachment_id, record_id, user_id, access_level, "
               "downloaded_at) VALUES (?,?,?,?,?)",
               {attachment_id, record.id, by.user_id, record.access_level, now_text}));
  Watermarked marked = watermark(std::move(*plaintext), mime, charset, d.watermark);
  d.body = std::move(marked.body);
  d.content_type = marked.content_type;
  d.watermark_method = marked.method;
  TRY_STATUS(audit::append(*tx, by,
                           {"attachment.download",
                            "attachment",
                            std::to_string(attachment_id),
                            record.patron_id,
                            "",
                            {{"record_id", record.id},
                             {"access_level", record.access_level},
                             {"sha256", sha},
                             {"watermark", d.watermark_method}}},
                           clock_));
  if (by.role == Role::patron && by.patron_id)
    TRY(timeline::append(*tx, by,
                         {*by.patron_id,
                          "record.attachment_downloaded",
                          "Downloaded " + filename + " of record " + record.reference_code,
                          {{"record_id", record.id}, {"attachment_id", attachment_id}},
                          "record",
                          std::to_string(record.id)},
                         clock_));
  TRY_STATUS(tx->commit());
  tx.reset();  // a committed Tx still holds the SQLite writer until it goes
  if (hooks_.count_use) hooks_.count_use(record.id);
  if (hooks_.downloaded) hooks_.downloaded(by, record.id, attachment_id);
  return d;
}

Status Service::remove(const Actor& by, std::int64_t attachment_id, const std::string& reason) {
  std::string sha;
  bool destroyed = false;
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto a = TRY(
        tx->maybe_one("SELECT record_id, sha256, removed, filename FROM attachments WHERE id = ?",
                      {attachment_id}));
    TRY_STATUS(staff_may(by, Permission::record_write));
    if (!a) return not_found("no such attachment");
    auto record = writable_record(*tx, by, a->i64(0));
    if (!record) {
      if (record.error().code == ErrorCode::not_found) return not_found("no such attachment");
      return std::unexpected(record.error());
    }
    if (a->i64(2) != 0) return not_found("this attachment was already removed");
    if (record->legal_hold)
      return conflict("the record is under legal hold; its attachments cannot be removed");
    sha = a->str(1);
    if (!sha.empty()) TRY_STATUS(detail::lock_blob(*tx, sha));
    std::string now = format_time(clock_.now());
    TRY(tx->exec(
        "UPDATE attachments SET removed = 1, removed_at = ?, removed_by = ? WHERE id = ?",
        {now, by.user_id ? store::Value(by.user_id) : store::null_value(), attachment_id}));
    if (!sha.empty()) destroyed = TRY(detail::drop_blob_if_unused(*tx, sha));
    if (hooks_.reindex) TRY_STATUS(hooks_.reindex(*tx, record->id));
    TRY_STATUS(audit::append(
        *tx, by,
        {"attachment.remove",
         "attachment",
         std::to_string(attachment_id),
         record->patron_id,
         reason,
         {{"record_id", record->id}, {"sha256", sha}, {"content_destroyed", destroyed}}},
        clock_));
    if (record->patron_id)
      TRY(timeline::append(
          *tx, by,
          {*record->patron_id,
           "record.attachment_removed",
           "Attachment " + a->str(3) + " removed from record " + record->reference_code,
           {{"record_id", record->id}, {"attachment_id", attachment_id}},
           "record",
           std::to_string(record->id)},
          clock_));
    TRY_STATUS(tx->commit());
  }
  if (destroyed) delete_blob_files(db_, config_, {sha});
  return {};
}

Result<json> Service::signatures(const Actor& by, std::int64_t attachment_id,
                                 bool include_removed) {
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rec = TRY(
      tx->maybe_one("SELECT record_id, removed FROM attachments WHERE id = ?", {attachment_id}));
  if (!rec) return not_found("no such attachment");
  auto record = readable_record(*tx, by, rec->i64(0), hooks_, clock_);
  if (!record) {
    if (record.error().code == ErrorCode::not_found) return not_found("no such attachment");
    return std::unexpected(record.error());
  }
  if (rec->i64(1) != 0 && by.role == Role::patron) return not_found("no such attachment");
  auto sigs = TRY(signatures_of(*tx, {attachment_id}, by, include_removed));
  return json{{"items", sigs[attachment_id]}, {"next_cursor", nullptr}};
}

Result<json> Service::record_signature(const Actor& by, std::int64_t attachment_id,
                                       const json& body) {
  TRY_STATUS(staff_may(by, Permission::record_write));
  auto text = [&](const char* name, bool required, std::size_t max) -> Result<std::string> {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) {
      if (required) return invalid(name, std::string(name) + " is required");
      return std::string();
    }
    if (!it->is_string()) return invalid(name, std::string(name) + " must be text");
    std::string v = trim_text(it->get<std::string>());
    if (required && v.empty()) return invalid(name, std::string(name) + " is required");
    if (v.size() > max)
      return invalid(name, std::string(name) + " is at most " + std::to_string(max) + " bytes");
    if (!text::valid_utf8(v)) return invalid(name, "must be valid UTF-8");
    return v;
  };
  std::string signer = TRY(text("signer", true, 500));
  std::string method = TRY(text("method", true, 20));
  if (method != "detached" && method != "paper" && method != "seal" && method != "other")
    return invalid("method", "method must be detached, paper, seal or other");
  std::string signed_at = TRY(text("signed_at", false, 40));
  if (!signed_at.empty() && !valid_signed_at(signed_at))
    return invalid("signed_at", "a date (2026-11-26) or an ISO 8601 time");
  std::string certificate_ref = TRY(text("certificate_ref", false, 2000));
  std::string note = TRY(text("note", false, 4000));

  auto tx = TRY(db_.begin(store::TxMode::write));
  auto a = TRY(tx->maybe_one("SELECT record_id, removed, filename FROM attachments WHERE id = ?",
                             {attachment_id}));
  if (!a) return not_found("no such attachment");
  auto record = writable_record(*tx, by, a->i64(0));
  if (!record) {
    if (record.error().code == ErrorCode::not_found) return not_found("no such attachment");
    return std::unexpected(record.error());
  }
  if (a->i64(1) != 0) return conflict("this attachment was removed");
  std::string now = format_time(clock_.now());
  auto opt = [](const std::string& v) { return v.empty() ? store::null_value() : store::Value(v); };
  auto id = TRY(tx->one(
      "INSERT INTO attachment_signatures (attachment_id, source, signer, signed_at, method, "
      "certificate_ref, note, created_by, created_at) VALUES (?,'recorded',?,?,?,?,?,?,?) "
      "RETURNING id",
      {attachment_id, signer, opt(signed_at), method, opt(certificate_ref), opt(note),
       by.user_id ? store::Value(by.user_id) : store::null_value(), now},
      "signature"));
  std::int64_t signature_id = id.i64(0);
  TRY_STATUS(audit::append(*tx, by,
                           {"attachment.signature_record",
                            "attachment",
                            std::to_string(attachment_id),
                            record->patron_id,
                            "",
                            {{"record_id", record->id},
                             {"signature_id", signature_id},
                             {"signer", signer},
                             {"method", method},
                             {"signed_at", signed_at}}},
                           clock_));
  if (record->patron_id)
    TRY(timeline::append(*tx, by,
                         {*record->patron_id,
                          "record.signature_recorded",
                          "Signature of " + signer + " recorded for " + a->str(2) +
                              " of record " + record->reference_code,
                          {{"record_id", record->id}, {"attachment_id", attachment_id}},
                          "record",
                          std::to_string(record->id)},
                         clock_));
  auto row = TRY(tx->one(std::string("SELECT ") + kSignatureColumns +
                             " FROM attachment_signatures WHERE id = ?",
                         {signature_id}, "signature"));
  json out = signature_json(row, by);
  TRY_STATUS(tx->commit());
  return out;
}

Status Service::withdraw_signature(const Actor& by, std::int64_t attachment_id,
                                   std::int64_t signature_id, const std::string& reason) {
  TRY_STATUS(staff_may(by, Permission::record_write));
  if (trim_text(reason).empty()) return invalid("reason", "say why the signature is withdrawn");
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto a = TRY(tx->maybe_one("SELECT record_id FROM attachments WHERE id = ?", {attachment_id}));
  if (!a) return not_found("no such attachment");
  auto record = writable_record(*tx, by, a->i64(0));
  if (!record) {
    if (record.error().code == ErrorCode::not_found) return not_found("no such attachment");
    return std::unexpected(record.error());
  }
  auto sig = TRY(tx->maybe_one(
      "SELECT source, removed, signer FROM attachment_signatures WHERE id = ? AND "
      "attachment_id = ?",
      {signature_id, attachment_id}));
  if (!sig || sig->i64(1) != 0) return not_found("no such signature");
  if (sig->str(0) != "recorded")
    return conflict("an embedded signature is part of the file and cannot be withdrawn");
  TRY(tx->exec(
      "UPDATE attachment_signatures SET removed = 1, removed_by = ?, removed_at = ? WHERE id = ?",
      {by.user_id ? store::Value(by.user_id) : store::null_value(), format_time(clock_.now()),
       signature_id}));
  TRY_STATUS(audit::append(
      *tx, by,
      {"attachment.signature_withdraw",
       "attachment",
       std::to_string(attachment_id),
       record->patron_id,
       reason,
       {{"record_id", record->id}, {"signature_id", signature_id}, {"signer", sig->str(2)}}},
      clock_));
  return tx->commit();
}

Result<std::vector<std::string>> purge_record(store::Tx& tx, std::int64_t record_id,
                                              std::int64_t by_user, const Clock& clock) {
  auto rows = TRY(tx.query(
      "SELECT DISTINCT sha256 FROM attachments WHERE record_id = ? AND removed = 0 AND sha256 IS "
      "NOT NULL ORDER BY sha256",
      {record_id}));
  TRY(tx.exec(
      "UPDATE attachments SET removed = 1, removed_at = ?, removed_by = ? WHERE record_id = ? AND "
      "removed = 0",
      {format_time(clock.now()), by_user ? store::Value(by_user) : store::null_value(),
       record_id}));
  std::vector<std::string> gone;
  for (auto& r : rows) {
    std::string sha = r.str(0);
    TRY_STATUS(detail::lock_blob(tx, sha));
    if (TRY(detail::drop_blob_if_unused(tx, sha))) gone.push_back(sha);
  }
  return gone;
}

void delete_blob_files(store::Database& db, const Config& config,
                       const std::vector<std::string>& hashes) {
  BlobStore store(blob_store_config(config));
  for (const auto& sha : hashes) {
    if (!valid_sha256(sha)) continue;
    auto done = [&]() -> Status {
      auto tx = TRY(db.begin(store::TxMode::write));
      TRY_STATUS(detail::lock_blob(*tx, sha));
      // Attached again meanwhile: the file is in use. A row nothing uses any more goes
      // now (purge_record has usually deleted it already).
      auto row = TRY(tx->maybe_one("SELECT 1 FROM blobs WHERE sha256 = ?", {sha}));
      if (row && !TRY(detail::drop_blob_if_unused(*tx, sha))) return {};
      store.remove(sha);
      return tx->commit();
    }();
    if (!done)
      spdlog::warn("event=blob_delete_failed sha256={} error=\"{}\"", sha, done.error().message);
  }
}

}  // namespace dangan::catalogue::attachments
