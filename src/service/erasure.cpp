// The service desk's erasure steps (erasure.h).
#include "service/erasure.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

namespace dangan::service {

namespace {

using patrons::Erasure;
using patrons::ErasureAction;

// "col = '(erased)'", leaving an empty text empty (so "no comment" still reads as none).
std::string redact(const std::string& col) {
  return col + " = CASE WHEN " + col + " = '' THEN '' ELSE '" + patrons::kErased + "' END";
}
std::string redact(std::initializer_list<const char*> cols) {
  std::string out;
  for (const char* c : cols) out += (out.empty() ? "" : ", ") + redact(c);
  return out;
}

const std::string kOfTickets = "ticket_id IN (SELECT id FROM tickets WHERE patron_id = ?)";

// Removes the file of `sha256` unless a row of `table` uses it (again), under lock_blob.
Status remove_unused(store::Database& db, catalogue::BlobStore& blobs, const std::string& table,
                     const std::string& sha256) {
  auto tx = TRY(db.begin(store::TxMode::write));
  TRY_STATUS(lock_blob(*tx, sha256));
  if (TRY(tx->maybe_one("SELECT 1 FROM " + table + " WHERE sha256 = ?", {sha256}))) return {};
  blobs.remove(sha256);
  return tx->commit();
}

// Deletes the rows of `table` on the patron's tickets and, after commit, the blob files
// no row of `table` uses any more (content is shared by hash).
Erasure::Step delete_with_blobs(std::string table, std::string what, store::Database& db,
                                catalogue::BlobStore* blobs) {
  return {table, ErasureAction::deleted, std::move(what),
          [table, &db, blobs](store::Tx& tx, std::int64_t id,
                              Erasure::Context& ctx) -> Result<std::int64_t> {
            auto rows = TRY(
                tx.query("SELECT DISTINCT sha256 FROM " + table + " WHERE " + kOfTickets, {id}));
            std::int64_t n = TRY(tx.exec("DELETE FROM " + table + " WHERE " + kOfTickets, {id}));
            if (blobs && !rows.empty()) {
              auto hashes = std::make_shared<std::vector<std::string>>();
              for (auto& r : rows) hashes->push_back(r.str(0));
              ctx.after_commit.push_back([table, &db, blobs, hashes] {
                for (const auto& h : *hashes)
                  if (auto s = remove_unused(db, *blobs, table, h); !s)
                    spdlog::warn("event=erasure_blob_remove_failed table={} message=\"{}\"", table,
                                 s.error().message);
              });
            }
            return n;
          }};
}

}  // namespace

Status lock_blob(store::Tx& tx, std::string_view sha256) {
  if (tx.backend() != store::Backend::postgres) return {};
  constexpr std::int64_t kSpace = 0x73626c62;  // "sblb"
  auto first32 =
      static_cast<std::uint32_t>(std::stoul(std::string(sha256.substr(0, 8)), nullptr, 16));
  TRY(tx.query("SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), CAST(? AS INTEGER))",
               {kSpace, static_cast<std::int64_t>(static_cast<std::int32_t>(first32))}));
  return {};
}

void declare_erasure(Erasure& e, store::Database& db, ErasureFiles files) {
  // Tickets and what hangs on them.
  e.add(Erasure::redact_rows(
      "tickets", "patron_id = ?", redact({"subject", "resolution"}) + ", subject_key = ''",
      "subject and resolution; kind, channel, priority, status, times and SLA stay"));
  e.add(Erasure::redact_rows("ticket_messages", kOfTickets, redact("body"),
                             "every message's text (the patron's, replies, notes, chat, "
                             "system lines quoting them); kind, channel, author and time stay"));
  e.add(Erasure::redact_rows("ticket_recoveries", kOfTickets,
                             redact({"cause", "remedy", "patron_comment"}),
                             "cause, remedy and the patron's comment; accepted or not stays"));
  e.add(Erasure::delete_rows("mail_outbox", kOfTickets,
                             "e-mail to the patron, queued or sent (address, subject, body)"));
  e.add(Erasure::redact_rows(
      "mail_inbound", kOfTickets,
      "from_address = '" + std::string(patrons::kErased) + "', " + redact("subject"),
      "sender and subject; the Message-ID stays so a replayed mail is "
      "not taken in again"));
  e.add(delete_with_blobs("ticket_attachments", "files on the patron's tickets, and their blobs",
                          db, files.ticket_files));
  e.add(delete_with_blobs("recordings", "call recordings (encrypted blobs) and their transcripts",
                          db, files.recordings));
  e.add(Erasure::keep_rows("qa_reviews",
                           "scores and comments judge the agent's work, not the patron"));
  // Contacts on every channel, and the strangers later found to be this patron.
  e.add(Erasure::redact_rows("interactions", "patron_id = ?",
                             redact({"address", "subject", "body"}),
                             "address, subject and text; channel, direction and time stay"));
  e.add(Erasure::redact_rows("prospects", "merged_into = ?",
                             "display_name = '" + std::string(patrons::kErased) +
                                 "', phone = NULL, email = NULL, handle = NULL, search_text = ''",
                             "name, phone, e-mail and handle of contacts merged into the patron"));
  e.add(Erasure::redact_rows("follow_up_visits", "patron_id = ?", redact("comments"),
                             "comments; reason, status, channel and satisfaction stay"));
  // A repeat-contact alert quotes the subject, and its dedupe key holds the folded one.
  e.add(Erasure::redact_rows(
      "alerts", "patron_id = ?",
      redact({"summary", "resolution"}) + ", dedupe_key = 'erased:' || CAST(id AS TEXT)",
      "summary and resolution; kind, status, counts and times stay"));
  e.add(Erasure::delete_rows("sensitive_patrons", "patron_id = ?", "the sensitive mark"));
  e.add(Erasure::keep_rows("patron_tiers", "a service tier is a category, not personal text"));
  e.add(Erasure::delete_rows("patron_notices", "patron_id = ?", "what the portal told the patron"));
  // The board: the original text goes; a published post's public text was masked when
  // published (names, phones, e-mail, ID numbers) and stays with its public answer; an
  // unpublished one's goes too.
  e.add(Erasure::redact_rows(
      "board_posts", "patron_id = ?",
      "poster = '" + std::string(patrons::kErased) + "', " +
          redact({"title", "body", "reject_reason"}) +
          ", public_title = CASE WHEN status = 'published' THEN public_title ELSE '" +
          patrons::kErased + "' END, public_body = CASE WHEN status = 'published' THEN " +
          "public_body ELSE '" + patrons::kErased +
          "' END, search_text = CASE WHEN status = " + "'published' THEN search_text ELSE '' END",
      "original title and body, the poster's masked name, why it was not published; an "
      "unpublished post's public text"));
  e.add(Erasure::redact_rows(
      "onsite_visits", "patron_id = ?",
      redact({"address", "contact_phone", "notes", "patron_note", "outcome", "cancel_reason"}) +
          ", items = '[]'",
      "address, phone, notes, outcome, items; purpose, status, window, duration and "
      "satisfaction stay"));
  e.add(Erasure::redact_rows("service_cases", "patron_id = ?", redact("title"),
                             "title; status, owner and times stay"));
  e.add(Erasure::redact_rows("case_steps",
                             "case_id IN (SELECT id FROM service_cases WHERE patron_id = ?)",
                             redact("what"), "what each back-office step said"));
  e.add(Erasure::redact_rows("knowledge_services", "patron_id = ?",
                             redact({"topic", "scope", "closing_comment"}),
                             "topic, scope and closing comment; status, rhythm and "
                             "satisfaction stay"));
  e.add(
      Erasure::redact_rows("knowledge_milestones",
                           "service_id IN (SELECT id FROM knowledge_services WHERE patron_id = ?)",
                           redact("title"), "milestone titles"));
  e.add(Erasure::redact_rows(
      "knowledge_deliveries",
      "service_id IN (SELECT id FROM knowledge_services WHERE patron_id = ?)", redact("summary"),
      "delivery summaries (the records delivered stay: catalogue data)"));
  // Page paths and IVR key paths (trace points, D33) say what the person did.
  e.add(Erasure::delete_rows("trace_events", "patron_id = ?", "trace events"));
}

}  // namespace dangan::service
