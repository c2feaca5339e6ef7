// onsite.h — on-site visits (上门服务, D29): archive staff going to the patron — a
// company's customer-file department, an elderly patron at home, a donor — to consult,
// to collect records or donations, to deliver copies, or to appraise.
//
//   requested --confirm with staff--> booked --done (outcome)--> done
//       |                              |  \--no_show (once the window began)--> no_show
//       +--------cancel----------------+--cancel--> cancelled
//
// Staff book a visit for a patron (booked when staff are named, else requested); a patron
// requests one on the portal when their service tier allows it (`service_tiers.on_site`),
// sees their own visits without the staff's notes and outcome notes, and may cancel their
// own requested or booked visit before it starts.
//
// Invariants:
//   - the window [starts_at, ends_at) lies within one local day that is a working day of
//     the desk's calendar (calendar.h: not a holiday; a make-up workday counts);
//   - a member of staff is in at most one active (requested or booked) visit at any
//     instant; back-to-back windows are allowed. The check runs in the write transaction
//     after locking the staff members' user rows (PostgreSQL; SQLite has one writer), so
//     two desks booking the same person at once give one booking and one conflict;
//   - address and contact phone are personal data: shown whole to managers, to the staff
//     assigned to the visit (they have to get there) and to the patron; cut short like the
//     patron's own fields for other staff; every staff read is audited (onsite.read,
//     onsite.list_read), and counts for the privacy_reads alert;
//   - every change is one transaction with its audit entry and a timeline event on the
//     patron (onsite.requested, onsite.booked, onsite.done, onsite.cancelled,
//     onsite.no_show).
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

struct OnSiteQuery {
  std::optional<std::string> status;
  std::optional<std::int64_t> patron_id, staff_id;
  std::optional<std::string> from, to;  // on starts_at: from ≤ starts_at < to
  std::optional<std::string> cursor;
  int limit = 50;
};

class OnSite {
 public:
  OnSite(store::Database& db, audit::ReadRecorder& reads, Desk& desk,
         const Clock& clock = system_clock());

  // Staff (ticket_read) see every visit, soonest window first; a patron their own.
  Result<nlohmann::json> list(const Actor& by, const OnSiteQuery& q);
  // Staff (ticket_write): patron_id, purpose, address, contact_phone?, starts_at, ends_at,
  // staff_ids?, ticket_id?, notes?. A patron: purpose, address, contact_phone?, starts_at,
  // ends_at, note? — a request, only when their tier has on_site (403 otherwise).
  Result<nlohmann::json> book(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> get(const Actor& by, std::int64_t id);
  // Staff: purpose, address, contact_phone, starts_at, ends_at, staff_ids, ticket_id, notes,
  // status ("booked" confirms a request and needs staff; "no_show" once the window began).
  Result<nlohmann::json> update(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // Staff: outcome (text), duration_minutes, items? (list of text), satisfaction? (1–5).
  Result<nlohmann::json> done(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // Staff, or the patron before the window starts: reason?.
  Result<nlohmann::json> cancel(const Actor& by, std::int64_t id, const nlohmann::json& body);

 private:
  store::Database& db_;
  audit::ReadRecorder& reads_;
  Desk& desk_;
  const Clock& clock_;
};

}  // namespace dangan::service
