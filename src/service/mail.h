// mail.h — e-mail for the service desk: replies out through SMTP (libcurl), patrons'
// mail in from a Maildir, threaded into tickets by Message-ID.
//
// Out: a staff reply whose channel is `email` (the default on a ticket that came by
// e-mail; staff may choose it on any ticket) is queued in `mail_outbox` in the reply's
// own transaction — to the address the patron last wrote from on that ticket, else the
// patron's first e-mail, else the prospect's — with a Message-ID we make and keep, and
// In-Reply-To/References of the ticket's earlier mail. The sweep sends what is due:
// each message is claimed by one conditional UPDATE (several processes never send it at
// once; a process that dies mid-send leaves a claim that expires, then it is retried),
// and a failure is retried after 1, 5, 30 minutes, 2 and 6 hours; after 6 attempts, or
// at once on a permanent (5xx) refusal, it is `failed` with the error, and staff may
// retry it. The SMTP user and password are never logged.
//
// In: the sweep reads <maildir>/new. Each file is parsed (mime.h); its Message-ID (or,
// lacking one, the SHA-256 of the file) is claimed in `mail_inbound` in the transaction
// that files it, so a file read twice, or by two processes, is one message. It is
// threaded into the ticket whose outbound or inbound Message-ID appears in In-Reply-To
// or References, else into the ticket whose number ([T2026-000123]) the subject carries
// when the sender is that ticket's patron or prospect; the ticket then gets the patron's
// message (a resolved or closed ticket is reopened: tickets.h). Otherwise it opens a new
// consultation on the e-mail channel for the matched patron or prospect (contacts.h).
// Attachments become ticket files. A processed file moves to cur/ (":2,S"); a file that
// is not a message moves to <maildir>/error with a "<name>.reason" beside it; nothing is
// deleted.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/actor.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/result.h"
#include "service/contacts.h"
#include "service/ticket_files.h"
#include "service/tickets.h"
#include "store/db.h"

namespace dangan::service {

struct MailSettings {
  std::string smtp_url;  // "" = nothing is sent
  std::string from_address, from_name = "Archives service desk";
  std::string user, password;
  std::string maildir;  // "" = nothing is read
};
MailSettings mail_settings(const Config& config);

struct MailSweep {
  int sent = 0, failed = 0, retrying = 0;        // outbox
  int received = 0, duplicates = 0, errors = 0;  // Maildir files
};

class Mail {
 public:
  Mail(store::Database& db, Desk& desk, Contacts& contacts, TicketFiles& files,
       MailSettings settings, const Clock& clock = system_clock());

  // The Desk's reply hook (Desk::on_reply): queues an e-mail reply in `tx`.
  Status queue_reply(store::Tx& tx, const Actor& by, std::int64_t ticket_id,
                     std::int64_t message_id, const std::string& channel, const std::string& body);

  // The ticket's mail, in and out, with each outbound message's state (staff who may see
  // the ticket).
  Result<nlohmann::json> ticket_mail(const Actor& by, std::int64_t ticket_id);
  // The outbox across tickets (status filter: queued, sending, sent, failed).
  Result<nlohmann::json> outbox(const Actor& by, const std::optional<std::string>& status,
                                const std::optional<std::string>& cursor, int limit);
  // A failed message goes back to the queue, due now (a waiting one is made due now).
  Result<nlohmann::json> retry(const Actor& by, std::int64_t outbox_id);

  // Sends what is due and reads the Maildir; several processes may run it at once.
  Result<MailSweep> sweep();
  // The same on a staff member's request (service_config): "fetch mail now".
  Result<nlohmann::json> sweep_now(const Actor& by);

  // Takes in one message (the bytes of a Maildir file); `received` or `duplicate`.
  // Exposed for tests and for the sweep.
  Result<std::string> take_in(const std::string& raw);

 private:
  Status send_one(std::int64_t id, MailSweep& counts);
  Status read_maildir(MailSweep& counts);

  store::Database& db_;
  Desk& desk_;
  Contacts& contacts_;
  TicketFiles& files_;
  MailSettings settings_;
  const Clock& clock_;
};

// Sends one composed message through SMTP; `permanent` is set when the server refused it
// for good (5xx). Exposed for tests.
struct SmtpResult {
  bool ok = false, permanent = false;
  std::string error;
};
SmtpResult smtp_send(const MailSettings& s, const std::string& to, const std::string& message);

}  // namespace dangan::service
