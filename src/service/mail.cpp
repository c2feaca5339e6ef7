#include "service/mail.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include "catalogue/blob_store.h"
#include "catalogue/content.h"
#include "patrons/validation.h"
#include "patrons/writes.h"
#include "service/internal.h"
#include "service/mime.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;
namespace fs = std::filesystem;

namespace {

constexpr int kMaxAttempts = 6;
// A longer text is cut in the thread; the whole message is then kept as message.eml.
constexpr std::size_t kBodyKept = 19000;
// Waits after the 1st, 2nd … failed attempt.
constexpr std::chrono::minutes kBackoff[] = {std::chrono::minutes(1), std::chrono::minutes(5),
                                             std::chrono::minutes(30), std::chrono::minutes(120),
                                             std::chrono::minutes(360)};
constexpr std::chrono::minutes kClaim{5};  // a send that takes longer is presumed dead

constexpr const char* kOutboxCols =
    "id, ticket_id, ticket_message_id, message_id, in_reply_to, to_address, subject, status, "
    "attempts, next_attempt_at, last_error, sent_at, created_at";

json outbox_json(const store::Row& r) {
  return {{"id", r.i64(0)},
          {"ticket_id", r.i64(1)},
          {"ticket_message_id", opt(r.opt_i64(2))},
          {"message_id", r.str(3)},
          {"in_reply_to", opt(r.opt_str(4))},
          {"to", r.str(5)},
          {"subject", r.str(6)},
          {"status", r.str(7)},
          {"attempts", r.i64(8)},
          {"next_attempt_at", r.str(9)},
          {"last_error", opt(r.opt_str(10))},
          {"sent_at", opt(r.opt_str(11))},
          {"created_at", r.str(12)}};
}

std::string join(const std::vector<std::string>& ids) {
  std::string out;
  for (auto& id : ids) out += (out.empty() ? "" : " ") + id;
  return out;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

size_t read_body(char* buf, size_t size, size_t n, void* userp) {
  auto* src = static_cast<std::pair<const std::string*, std::size_t>*>(userp);
  std::size_t left = src->first->size() - src->second;
  std::size_t take = std::min(left, size * n);
  std::memcpy(buf, src->first->data() + src->second, take);
  src->second += take;
  return take;
}

}  // namespace

MailSettings mail_settings(const Config& config) {
  MailSettings s;
  s.smtp_url = config.smtp_url;
  s.from_address = config.mail_from;
  s.user = config.smtp_user;
  s.password = config.smtp_password;
  s.maildir = config.maildir;
  return s;
}

SmtpResult smtp_send(const MailSettings& s, const std::string& to, const std::string& message) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  SmtpResult out;
  std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
  if (!c) {
    out.error = "libcurl could not start";
    return out;
  }
  std::pair<const std::string*, std::size_t> src{&message, 0};
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::string from = "<" + s.from_address + ">";
  curl_easy_setopt(c.get(), CURLOPT_URL, s.smtp_url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c.get(), CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c.get(), CURLOPT_READFUNCTION, read_body);
  curl_easy_setopt(c.get(), CURLOPT_READDATA, &src);
  curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, errbuf);
  if (!s.user.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_USERNAME, s.user.c_str());
    curl_easy_setopt(c.get(), CURLOPT_PASSWORD, s.password.c_str());
    // A password never crosses the network in the clear: STARTTLS is required.
    curl_easy_setopt(c.get(), CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  } else {
    curl_easy_setopt(c.get(), CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  }
  CURLcode res = curl_easy_perform(c.get());
  long code = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpt);
  if (res == CURLE_OK) {
    out.ok = true;
    return out;
  }
  out.permanent = code >= 500 && code < 600;
  out.error = std::string(curl_easy_strerror(res));
  if (errbuf[0]) out.error += ": " + std::string(errbuf);
  if (code) out.error += " (SMTP " + std::to_string(code) + ")";
  return out;
}

Mail::Mail(store::Database& db, Desk& desk, Contacts& contacts, TicketFiles& files,
           MailSettings settings, const Clock& clock)
    : db_(db),
      desk_(desk),
      contacts_(contacts),
      files_(files),
      settings_(std::move(settings)),
      clock_(clock) {}

Status Mail::queue_reply(store::Tx& tx, const Actor& /*by*/, std::int64_t ticket_id,
                         std::int64_t message_id, const std::string& channel,
                         const std::string& body) {
  if (channel != "email") return {};
  auto t = TRY(load(tx, ticket_id));
  std::optional<std::string> to;
  if (auto r = TRY(tx.maybe_one(
          "SELECT from_address FROM mail_inbound WHERE ticket_id = ? ORDER BY id DESC LIMIT 1",
          {ticket_id})))
    to = r->str(0);
  if (!to && t.patron_id)
    if (auto r = TRY(tx.maybe_one("SELECT value FROM patron_contacts WHERE patron_id = ? AND "
                                  "kind = 'email' ORDER BY valid DESC, position LIMIT 1",
                                  {*t.patron_id})))
      to = r->str(0);
  if (!to)
    if (auto r = TRY(tx.maybe_one("SELECT p.email FROM tickets t JOIN prospects p ON p.id = "
                                  "t.prospect_id WHERE t.id = ? AND p.email IS NOT NULL",
                                  {ticket_id})))
      to = r->str(0);
  auto normal = to ? patrons::normalize_email(*to) : std::nullopt;
  if (!normal)
    return invalid("channel",
                   "no e-mail address to reply to: the patron has none; answer on another "
                   "channel");
  // The ticket's mail so far, oldest first: the reply threads under the last message
  // the patron sent (or else our last one).
  auto earlier = TRY(tx.query(
      "SELECT message_id, at, dir FROM (SELECT message_id, received_at AS at, 'in' AS dir, id "
      "FROM mail_inbound WHERE ticket_id = ? UNION ALL SELECT message_id, created_at AS at, "
      "'out' AS dir, id FROM mail_outbox WHERE ticket_id = ?) m ORDER BY at, dir, id",
      {ticket_id, ticket_id}));
  std::vector<std::string> refs;
  std::optional<std::string> in_reply_to, last_in;
  for (auto& r : earlier) {
    refs.push_back(r.str(0));
    if (r.str(2) == "in") last_in = r.str(0);
  }
  if (refs.size() > 20) refs.erase(refs.begin(), refs.end() - 20);
  in_reply_to = last_in ? last_in : (refs.empty() ? std::nullopt : std::optional(refs.back()));
  std::string subject = t.subject;
  if (subject.rfind("Re:", 0) != 0 && subject.rfind("RE:", 0) != 0) subject = "Re: " + subject;
  subject += " [" + t.number + "]";
  std::string now = format_time(clock_.now());
  std::string mid = mime::new_message_id(settings_.from_address.empty() ? "desk@dangan.invalid"
                                                                        : settings_.from_address);
  TRY(tx.exec(
      "INSERT INTO mail_outbox (ticket_id, ticket_message_id, message_id, in_reply_to, refs, "
      "to_address, subject, body, status, next_attempt_at, created_at) VALUES "
      "(?,?,?,?,?,?,?,?,'queued',?,?)",
      {ticket_id, message_id, mid, store::opt(in_reply_to), join(refs), *normal, subject, body, now,
       now}));
  return {};
}

Result<json> Mail::ticket_mail(const Actor& by, std::int64_t ticket_id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto t = TRY(load(*tx, ticket_id));
  TRY_STATUS(may_see(by, t));
  auto out_rows = TRY(tx->query(
      std::string("SELECT ") + kOutboxCols + " FROM mail_outbox WHERE ticket_id = ? ORDER BY id",
      {ticket_id}));
  json outbound = json::array();
  for (auto& r : out_rows) outbound.push_back(outbox_json(r));
  auto in_rows = TRY(tx->query(
      "SELECT id, message_id, ticket_message_id, from_address, subject, in_reply_to, received_at "
      "FROM mail_inbound WHERE ticket_id = ? ORDER BY id",
      {ticket_id}));
  json inbound = json::array();
  for (auto& r : in_rows)
    inbound.push_back({{"id", r.i64(0)},
                       {"message_id", r.str(1)},
                       {"ticket_message_id", opt(r.opt_i64(2))},
                       {"from", r.str(3)},
                       {"subject", r.str(4)},
                       {"in_reply_to", opt(r.opt_str(5))},
                       {"received_at", r.str(6)}});
  json prospect = nullptr;
  if (auto p = TRY(tx->maybe_one(
          "SELECT p.id, p.display_name, p.email, p.phone, p.status FROM tickets t JOIN prospects "
          "p ON p.id = t.prospect_id WHERE t.id = ?",
          {ticket_id})))
    prospect = {{"id", p->i64(0)},
                {"display_name", p->str(1)},
                {"email", opt(p->opt_str(2))},
                {"phone", opt(p->opt_str(3))},
                {"status", p->str(4)}};
  return json{{"ticket_id", ticket_id},
              {"prospect", prospect},
              {"sending_enabled", !settings_.smtp_url.empty()},
              {"outbound", outbound},
              {"inbound", inbound}};
}

Result<json> Mail::outbox(const Actor& by, const std::optional<std::string>& status,
                          const std::optional<std::string>& cursor, int limit) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  std::string where = "1 = 1";
  store::Params p;
  if (status) {
    if (!is_one_of(*status, {"queued", "sending", "sent", "failed"}))
      return invalid("status", "queued, sending, sent or failed");
    where += " AND o.status = ?";
    p.emplace_back(*status);
  }
  if (auto after = TRY(after_id(cursor))) {
    where += " AND o.id < ?";
    p.emplace_back(after);
  }
  // Reports (举报) stay with those who may see them.
  if (by.role != Role::system && !auth::allowed(by.role, auth::Permission::ticket_confidential)) {
    where += " AND (t.kind <> 'report' OR t.assignee_id = ?)";
    p.emplace_back(by.user_id);
  }
  limit = std::clamp(limit, 1, 200);
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  std::string cols;
  for (auto c : split(std::string(kOutboxCols)))  // "id," → "o.id,"
    cols += (cols.empty() ? "o." : " o.") + c;
  auto rows = TRY(tx->query("SELECT " + cols +
                                ", t.number FROM mail_outbox o JOIN tickets t ON t.id = "
                                "o.ticket_id WHERE " +
                                where + " ORDER BY o.id DESC LIMIT ?",
                            p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i) {
    json j = outbox_json(rows[i]);
    j["ticket_number"] = rows[i].str(13);
    items.push_back(std::move(j));
  }
  return id_page(std::move(items), rows, limit);
}

Result<json> Mail::retry(const Actor& by, std::int64_t outbox_id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row =
      TRY(tx->maybe_one("SELECT ticket_id, status FROM mail_outbox WHERE id = ?", {outbox_id}));
  if (!row) return not_found("no such message");
  auto t = TRY(load(*tx, row->i64(0)));
  TRY_STATUS(may_see(by, t));
  if (row->str(1) != "failed" && row->str(1) != "queued")
    return conflict("the message is " + row->str(1) + "; only a failed or waiting one is retried",
                    "status");
  std::string now = format_time(clock_.now());
  TRY(
      tx->exec("UPDATE mail_outbox SET status = 'queued', attempts = 0, next_attempt_at = ?, "
               "claimed_until = NULL WHERE id = ? AND status IN ('failed','queued')",
               {now, outbox_id}));
  TRY_STATUS(audit::append(*tx, by,
                           {"ticket.mail_retry",
                            "ticket",
                            std::to_string(t.id),
                            t.patron_id,
                            "",
                            {{"outbox_id", outbox_id}}},
                           clock_));
  auto after = TRY(tx->one(std::string("SELECT ") + kOutboxCols + " FROM mail_outbox WHERE id = ?",
                           {outbox_id}, "message"));
  TRY_STATUS(tx->commit());
  return outbox_json(after);
}

Status Mail::send_one(std::int64_t id, MailSweep& counts) {
  TimePoint now_tp = clock_.now();
  std::string now = format_time(now_tp);
  std::string row_subject, to, body, mid, irt, refs;
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto n = TRY(tx->exec(
        "UPDATE mail_outbox SET status = 'sending', claimed_until = ?, attempts = attempts + 1 "
        "WHERE id = ? AND ((status = 'queued' AND next_attempt_at <= ?) OR (status = 'sending' "
        "AND claimed_until < ?))",
        {format_time(now_tp + kClaim), id, now, now}));
    if (n != 1) return {};  // another process has it
    auto r = TRY(tx->one(
        "SELECT to_address, subject, body, message_id, in_reply_to, refs FROM mail_outbox WHERE "
        "id = ?",
        {id}, "message"));
    TRY_STATUS(tx->commit());
    to = r.str(0);
    row_subject = r.str(1);
    body = r.str(2);
    mid = r.str(3);
    irt = r.str(4);
    refs = r.str(5);
  }
  mime::Outgoing m;
  m.from_address = settings_.from_address;
  m.from_name = settings_.from_name;
  m.to_address = to;
  m.subject = row_subject;
  m.body = body;
  m.message_id = mid;
  m.in_reply_to = irt;
  m.references = split(refs);
  m.date = now;
  SmtpResult res = smtp_send(settings_, to, mime::compose(m));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row =
      TRY(tx->one("SELECT attempts, ticket_id FROM mail_outbox WHERE id = ?", {id}, "message"));
  std::int64_t attempts = row.i64(0);
  const Actor sys = system_actor();
  if (res.ok) {
    TRY(tx->exec(
        "UPDATE mail_outbox SET status = 'sent', sent_at = ?, last_error = NULL, claimed_until = "
        "NULL WHERE id = ? AND status = 'sending'",
        {format_time(clock_.now()), id}));
    ++counts.sent;
    TRY_STATUS(audit::append(*tx, sys,
                             {"ticket.mail_sent",
                              "ticket",
                              std::to_string(row.i64(1)),
                              std::nullopt,
                              "",
                              {{"outbox_id", id}}},
                             clock_));
  } else if (res.permanent || attempts >= kMaxAttempts) {
    TRY(tx->exec(
        "UPDATE mail_outbox SET status = 'failed', last_error = ?, claimed_until = NULL WHERE id "
        "= ? AND status = 'sending'",
        {res.error, id}));
    ++counts.failed;
    spdlog::warn("event=mail_failed outbox_id={} attempts={} error=\"{}\"", id, attempts,
                 res.error);
  } else {
    auto wait = kBackoff[std::min<std::int64_t>(attempts, std::size(kBackoff)) - 1];
    TRY(
        tx->exec("UPDATE mail_outbox SET status = 'queued', last_error = ?, next_attempt_at = ?, "
                 "claimed_until = NULL WHERE id = ? AND status = 'sending'",
                 {res.error, format_time(clock_.now() + wait), id}));
    ++counts.retrying;
    spdlog::info("event=mail_retry outbox_id={} attempts={} error=\"{}\"", id, attempts, res.error);
  }
  TRY_STATUS(tx->commit());
  return {};
}

Result<std::string> Mail::take_in(const std::string& raw) {
  auto parsed = TRY(mime::parse(raw));
  std::string mid = parsed.message_id;
  if (mid.empty()) {
    catalogue::Sha256 h;
    h.update(raw);
    mid = "sha256-" + h.hex() + "@dangan.invalid";
  }
  if (!patrons::normalize_email(parsed.from_address))
    return invalid("message", "the From address is not an e-mail address");
  // Every file the message brings is scanned before the transaction opens (a scan may
  // wait for the signatures to load); scanner unavailable under "refuse": the error,
  // and the message stays in new/ for the next sweep.
  std::vector<ScannedFile> scanned;
  for (auto& a : parsed.attachments) scanned.push_back(TRY(files_.scan(a.content)));
  std::optional<ScannedFile> scanned_raw;
  if (parsed.body.size() > kBodyKept) scanned_raw = TRY(files_.scan(raw));
  std::string now = format_time(clock_.now());
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto claim = TRY(tx->query(
      "INSERT INTO mail_inbound (message_id, from_address, subject, in_reply_to, refs, "
      "received_at) VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING RETURNING id",
      {mid, *patrons::normalize_email(parsed.from_address),
       catalogue::truncate_utf8(parsed.subject, 1000),
       parsed.in_reply_to.empty() ? store::null_value() : store::Value(parsed.in_reply_to),
       join(parsed.references), now}));
  if (claim.empty()) return std::string("duplicate");
  std::int64_t inbound_id = claim[0].i64(0);

  // Threading: the newest ticket any referenced message belongs to.
  std::vector<std::string> ids;
  if (!parsed.in_reply_to.empty()) ids.push_back(parsed.in_reply_to);
  for (auto& r : parsed.references)
    if (std::find(ids.begin(), ids.end(), r) == ids.end() && ids.size() < 64) ids.push_back(r);
  std::optional<std::int64_t> ticket_id;
  if (!ids.empty()) {
    store::Params p(ids.begin(), ids.end());
    auto out = TRY(store::query_in(*tx, "SELECT ticket_id, id FROM mail_outbox WHERE message_id IN",
                                   p, " ORDER BY id DESC"));
    if (!out.empty()) ticket_id = out[0].i64(0);
    if (!ticket_id) {
      auto in = TRY(store::query_in(
          *tx,
          "SELECT ticket_id, id FROM mail_inbound WHERE ticket_id IS NOT NULL AND message_id IN", p,
          " ORDER BY id DESC"));
      if (!in.empty()) ticket_id = in[0].i64(0);
    }
  }
  auto sender =
      TRY(match_sender(*tx, "email", parsed.from_address, parsed.from_name, "email", now));
  if (!ticket_id) {
    // "[T2026-000123]" in the subject, from that ticket's own patron or prospect.
    static const std::regex number(R"(\[(T\d{4}-\d{6,})\])");
    std::smatch m;
    if (std::regex_search(parsed.subject, m, number)) {
      auto t = TRY(tx->maybe_one("SELECT id, patron_id, prospect_id FROM tickets WHERE number = ?",
                                 {m[1].str()}));
      if (t && ((sender.patron_id && t->opt_i64(1) == sender.patron_id) ||
                (sender.prospect_id && t->opt_i64(2) == sender.prospect_id)))
        ticket_id = t->i64(0);
    }
  }
  std::string subject = catalogue::truncate_utf8(parsed.subject, 200);
  // A reply on an erased patron's thread does not land there: nothing new attaches to
  // them (docs/privacy.md, "After erasure"). It becomes a new contact from whoever sent
  // it — a stranger now, since the patron's addresses were erased — and neither the new
  // ticket nor this mail's record keeps what leads back to the erased thread (the ticket
  // number in the subject, the In-Reply-To and References headers).
  if (ticket_id) {
    auto t = TRY(tx->one("SELECT patron_id FROM tickets WHERE id = ?", {*ticket_id}, "ticket"));
    if (TRY(patrons::is_erased(*tx, t.opt_i64(0)))) {
      ticket_id.reset();
      static const std::regex tag(R"(\s*\[T\d{4}-\d{6,}\])");
      subject = std::regex_replace(subject, tag, "");
      TRY(tx->exec(
          "UPDATE mail_inbound SET in_reply_to = NULL, refs = '', subject = ? WHERE id = ?",
          {subject, inbound_id}));
      spdlog::info("event=mail_unthreaded reason=patron_erased mail_inbound_id={}", inbound_id);
    }
  }
  if (subject.find_first_not_of(" \t") == std::string::npos) subject = "(no subject)";
  std::string body = parsed.body;
  bool cut = body.size() > kBodyKept;
  if (cut)
    body = catalogue::truncate_utf8(body, kBodyKept) +
           "\n\n[… cut here; the whole message is attached as message.eml]";
  if (body.find_first_not_of(" \t\n") == std::string::npos) body = "(no text)";
  std::int64_t message_id = 0;
  if (ticket_id) {
    message_id = TRY(desk_.inbound_message(*tx, *ticket_id, "email", body));
  } else {
    json open = {
        {"kind", "consultation"}, {"channel", "email"}, {"subject", subject}, {"body", body}};
    if (sender.patron_id) open["patron_id"] = *sender.patron_id;
    auto t = TRY(desk_.open(system_actor(), open, *tx));
    ticket_id = t["id"].get<std::int64_t>();
    if (sender.prospect_id)
      TRY(tx->exec("UPDATE tickets SET prospect_id = ? WHERE id = ?",
                   {*sender.prospect_id, *ticket_id}));
    message_id = TRY(tx->one("SELECT MIN(id) FROM ticket_messages WHERE ticket_id = ?",
                             {*ticket_id}, "message"))
                     .i64(0);
  }
  auto keep = [&](const std::string& name, const std::string& content,
                  const ScannedFile& scan) -> Status {
    if (scan.infected())
      TRY_STATUS(audit::append(*tx, system_actor(),
                               {"ticket.attach_refused",
                                "ticket",
                                std::to_string(*ticket_id),
                                sender.patron_id,
                                "virus found in e-mail",
                                {{"sha256", scan.sha256()},
                                 {"size", content.size()},
                                 {"signature", scan.signature()},
                                 {"engine", scan.engine()},
                                 {"mail_inbound_id", inbound_id}}},
                               clock_));
    auto added = files_.add(*tx, *ticket_id, message_id, name, content, scan, false, std::nullopt);
    if (added) return {};
    if (added.error().code != ErrorCode::invalid) return std::unexpected(added.error());
    // Too large, empty or infected: said in the thread; the whole message stays in the
    // Maildir.
    return add_message(*tx, *ticket_id, "system", "email", std::nullopt,
                       "attachment \"" + name + "\" not kept: " + added.error().message, now);
  };
  for (std::size_t i = 0; i < parsed.attachments.size(); ++i)
    TRY_STATUS(keep(parsed.attachments[i].filename, parsed.attachments[i].content, scanned[i]));
  if (cut) TRY_STATUS(keep("message.eml", raw, *scanned_raw));
  Inbound in;
  in.channel = "email";
  in.address = parsed.from_address;
  in.address_kind = "email";
  in.display_name = parsed.from_name;
  in.subject = subject;
  in.body = body;
  in.external_id = mid;
  if (!parsed.date.empty()) in.occurred_at = parsed.date;
  in.ticket_id = ticket_id;
  TRY(contacts_.receive(*tx, in));
  TRY(tx->exec("UPDATE mail_inbound SET ticket_id = ?, ticket_message_id = ? WHERE id = ?",
               {*ticket_id, message_id, inbound_id}));
  TRY_STATUS(tx->commit());
  return std::string("received");
}

Status Mail::read_maildir(MailSweep& counts) {
  if (settings_.maildir.empty()) return {};
  fs::path root(settings_.maildir);
  std::error_code ec;
  std::vector<fs::path> files;
  for (auto it = fs::directory_iterator(root / "new", ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec)) files.push_back(it->path());
  std::sort(files.begin(), files.end());      // Maildir names start with the delivery time
  if (files.size() > 200) files.resize(200);  // the rest next sweep
  for (auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) continue;  // another process moved it
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    auto r = take_in(raw);
    std::string name = f.filename().string();
    if (!r) {
      if (r.error().code != ErrorCode::invalid) {
        // The database or disk: the file stays in new/ and is tried again next sweep.
        spdlog::warn("event=mail_in_failed file={} message=\"{}\"", name, r.error().message);
        continue;
      }
      fs::create_directories(root / "error", ec);
      fs::rename(f, root / "error" / name, ec);
      std::ofstream(root / "error" / (name + ".reason")) << r.error().message << "\n";
      spdlog::warn("event=mail_in_rejected file={} reason=\"{}\"", name, r.error().message);
      ++counts.errors;
      continue;
    }
    (*r == "duplicate" ? counts.duplicates : counts.received)++;
    fs::create_directories(root / "cur", ec);
    std::string done = name.find(":2,") == std::string::npos ? name + ":2,S" : name;
    fs::rename(f, root / "cur" / done, ec);  // fails only when another process moved it
  }
  return {};
}

Result<MailSweep> Mail::sweep() {
  MailSweep counts;
  if (!settings_.smtp_url.empty()) {
    std::string now = format_time(clock_.now());
    std::vector<std::int64_t> due;
    {
      auto tx = TRY(db_.begin(store::TxMode::read));
      auto rows = TRY(tx->query(
          "SELECT id FROM mail_outbox WHERE (status = 'queued' AND next_attempt_at <= ?) OR "
          "(status = 'sending' AND claimed_until < ?) ORDER BY next_attempt_at, id LIMIT 50",
          {now, now}));
      for (auto& r : rows) due.push_back(r.i64(0));
    }
    for (auto id : due) TRY_STATUS(send_one(id, counts));
  }
  TRY_STATUS(read_maildir(counts));
  if (counts.sent || counts.failed || counts.received || counts.errors)
    spdlog::info(
        "event=mail_sweep sent={} failed={} retrying={} received={} duplicates={} errors={}",
        counts.sent, counts.failed, counts.retrying, counts.received, counts.duplicates,
        counts.errors);
  return counts;
}

Result<json> Mail::sweep_now(const Actor& by) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  auto c = TRY(sweep());
  return json{{"sent", c.sent},         {"failed", c.failed},         {"retrying", c.retrying},
              {"received", c.received}, {"duplicates", c.duplicates}, {"errors", c.errors}};
}

}  // namespace dangan::service
