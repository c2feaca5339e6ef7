// loans.h — the loans desk (借阅): records leaving custody for a time, with a due date,
// renewals and returns; overdue loans feed the service desk's risk alerts.
//
// A loan is open until the record comes back; nothing else ends it:
//
//   lend --> open --renew (at most max_renewals times)--> open
//             |
//             +--return--> returned
//
// An open loan whose due time has passed is *overdue* (a state of the clock, not a
// stored status). Requests and approval by rule (DOMAIN.md item 8) are not part of this
// module yet: open records are lent at the counter by staff with loan_write; controlled
// and secret records only by staff who also hold loan_restricted (managers), who are the
// approval, with a note saying on what basis. That approval is also what opens a
// controlled record's content to its borrower in the catalogue and in search, for as
// long as the loan is open (lent_to; the catalogue applies it).
//
// Invariants: a record is on at most one open loan (a unique index, so two desks
// lending the same box at once cannot both succeed); only active records and active
// patrons take part; every change is one transaction with its audit entry and a timeline
// event on the patron; a portal account sees only its own patron's loans, and never a
// secret record's title.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::loans {

struct Settings {
  int loan_days = 30;     // a loan's length when no due date is given, and each renewal's
  int max_renewals = 2;   // renewals allowed per loan
  int max_loan_days = 365;  // the latest due date staff may set, from now
};

struct LoanQuery {
  std::optional<std::string> status;  // open, overdue, returned; none = all
  std::optional<std::int64_t> patron_id, record_id;
  std::string sort = "-id";           // id, due_at, lent_at; '-' = descending
  std::optional<std::string> cursor;
  int limit = 50;
};

// An open loan past its due time, as the overdue-loan alert rule sees it.
struct Overdue {
  std::int64_t loan_id = 0, patron_id = 0, record_id = 0;
  std::string reference_code, due_at;
};

class Desk {
 public:
  // `reads` records the patrons' names a staff list shows (patrons::names_in_list).
  Desk(store::Database& db, audit::ReadRecorder& reads, Settings settings = {},
       const Clock& clock = system_clock());
  // Called after a loan committed, with the record's id (the catalogue counts a use,
  // an importance signal for search ranking).
  void on_lent(std::function<void(std::int64_t record_id)> f) { on_lent_ = std::move(f); }

  // body: record_id or reference_code, patron_id; optional due_at (ISO 8601), note.
  Result<nlohmann::json> lend(const Actor& by, const nlohmann::json& body);
  // body: optional due_at (else the later of now and the due time, plus loan_days).
  Result<nlohmann::json> renew(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // body: optional note (condition on return).
  Result<nlohmann::json> give_back(const Actor& by, std::int64_t id, const nlohmann::json& body);
  Result<nlohmann::json> get(const Actor& by, std::int64_t id);
  // {"items": [...], "next_cursor"}; items carry "overdue" and "days_overdue", and for
  // staff "patron_name" (as the patron list shows the patron to them; a read of it).
  Result<nlohmann::json> list(const Actor& by, const LoanQuery& q);

  // The records on open loans to `patron_id` that a manager approved (lent while
  // controlled or secret), by record id. A record lent while open is not among them,
  // even if it has been made controlled since.
  static Result<std::vector<std::int64_t>> lent_to(store::Tx& tx, std::int64_t patron_id);
  // Open loans due more than `grace_days` days before `as_of`, oldest due first.
  static Result<std::vector<Overdue>> overdue(store::Tx& tx, TimePoint as_of, int grace_days,
                                              int limit = 1000);

 private:
  store::Database& db_;
  audit::ReadRecorder& reads_;
  Settings settings_;
  const Clock& clock_;
  std::function<void(std::int64_t)> on_lent_;
};

}  // namespace dangan::loans
