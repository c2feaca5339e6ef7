// contacts.h — contacts with the service desk on every channel (counter, phone, e-mail,
// web form, chat, message board, instant message, letter, SMS, social, fax) that are not,
// or not yet, tickets ("interactions"), and the people behind unknown addresses
// ("prospects").
//
// An inbound contact carries an address: an e-mail address (case-folded), a phone number
// (digits, +86 / 0086 / 86 stripped) or a social handle ("platform:handle"). It is matched
// to the one active patron who has that e-mail or phone among their contacts; with no
// such patron (or several), to the open prospect with that address, made on first contact.
// A handle matches the open prospect with it, or the patron a prospect with it was merged
// into. Staff merge a prospect into a patron: its interactions and tickets move to the
// patron, its phone and e-mail become the patron's contacts, and it stays as `merged`.
//
// Invariants: every interaction with a patron is on the patron's timeline (recorded by
// staff: `interaction.recorded`; arrived from a channel: `interaction.received`); every
// change is one transaction with its audit entry; an interaction with an external id
// (Message-ID, gateway message id) exists once per channel, however often it is delivered;
// two deliveries from the same stranger make one prospect (unique open addresses).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "audit/audit.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "service/tickets.h"
#include "store/db.h"

namespace dangan::service {

// Who an address belongs to.
struct Sender {
  std::optional<std::int64_t> patron_id, prospect_id;
};

// The normal form of an address of `kind` (email, phone, handle); nullopt when it is not
// one.
std::optional<std::string> normalize_address(const std::string& kind, const std::string& value);
// The kind an address given on `channel` is: email when it has an '@', phone when it
// normalises as one, else handle.
std::string address_kind(const std::string& value);

// Matches (and, for a stranger, makes or touches the prospect of) an address inside `tx`.
Result<Sender> match_sender(store::Tx& tx, const std::string& kind, const std::string& address,
                            const std::string& display_name, const std::string& channel,
                            const std::string& now);

struct InteractionQuery {
  std::optional<std::int64_t> patron_id, prospect_id, ticket_id;
  std::optional<std::string> channel, direction;
  std::optional<std::string> since, until;  // ISO 8601, on occurred_at
  std::string q;                            // in subject or body
  std::optional<std::string> cursor;
  int limit = 50;
};

// What arrived through a channel by itself (gateway, e-mail).
struct Inbound {
  std::string channel;       // sms, social, email, phone …
  std::string address;       // as given
  std::string address_kind;  // email, phone, handle
  std::string display_name;
  std::string subject, body;
  std::string external_id;  // unique per channel
  std::optional<std::string> occurred_at;
  std::optional<std::int64_t> ticket_id;
};
struct Received {
  std::int64_t interaction_id = 0;
  bool duplicate = false;  // seen before: nothing new was recorded
  Sender sender;
};

class Contacts {
 public:
  Contacts(store::Database& db, audit::ReadRecorder& reads, Desk& desk,
           const Clock& clock = system_clock());

  // Staff record a contact: channel, direction (in/out), subject and/or body, and who —
  // patron_id, prospect_id, or an address to match; optional ticket_id, occurred_at.
  Result<nlohmann::json> record(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> get(const Actor& by, std::int64_t id);
  Result<nlohmann::json> list(const Actor& by, const InteractionQuery& q);
  // Opens a ticket from an interaction (kind; optional priority, subject, team_id,
  // assignee_id) for its patron or prospect, and links the two.
  Result<nlohmann::json> open_ticket(const Actor& by, std::int64_t id, const nlohmann::json& body);

  // Inside the caller's transaction (e-mail in, gateway webhooks): matches the sender and
  // records the interaction once per external id.
  Result<Received> receive(store::Tx& tx, const Inbound& in);
  // The same in its own transaction.
  Result<Received> receive(const Inbound& in);

  // Prospects: list (q in name, address; status open|merged|all), one with its
  // interactions and tickets, and the merge into a patron ({patron_id, reason}).
  Result<nlohmann::json> list_prospects(const Actor& by, const std::string& q,
                                        const std::string& status,
                                        const std::optional<std::string>& cursor, int limit);
  Result<nlohmann::json> get_prospect(const Actor& by, std::int64_t id);
  Result<nlohmann::json> merge_prospect(const Actor& by, std::int64_t id,
                                        const nlohmann::json& body);

 private:
  store::Database& db_;
  audit::ReadRecorder& reads_;
  Desk& desk_;
  const Clock& clock_;
};

}  // namespace dangan::service
