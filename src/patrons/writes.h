// writes.h — may personal data be written about this patron, in this transaction? One
// answer for every module that links new data to a patron (tickets, their messages and
// files, contacts, loans, visits, cases, knowledge services …).
//
// After erasure (erasure.h) nothing new about the person attaches to the anonymised
// record: the erase made their data `(erased)`, and a later note, reply, loan or visit
// would bring it back. Reads keep working (they show the redacted data). A patron merged
// into another takes no new data either: the survivor does.
//
// Invariants: the check reads the patron's status in the caller's write transaction and
// holds it until that transaction ends (PostgreSQL: FOR SHARE; SQLite admits one writer
// at a time), so an erase that runs concurrently either comes first and the write is
// refused, or waits for the write's commit and then redacts what it wrote too. Every
// refusal is a 409 on `patron_id` naming the patron (no personal data in the message).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "store/db.h"

namespace dangan::patrons {

// How an unknown patron id is answered: a 400 on the field (an id in the request body, as
// the service desk answers) or a 404 (as the loans and on-site desks answer).
enum class IfMissing { invalid, not_found };

// For a write that links something new to `patron_id` (a ticket, a loan, a visit, a
// contact): fine for an active patron; conflict on `field` when they were erased
// ("patron N has been erased") or merged ("patron N was merged into patron M").
Status may_write_about(store::Tx& tx, std::int64_t patron_id,
                       IfMissing missing = IfMissing::invalid,
                       const std::string& field = "patron_id");

// For text or data added to something that already belongs to a patron (a ticket's
// thread, a loan's return note, a visit's outcome): conflict on `patron_id` when that
// patron was erased. Fine without a patron, and for an unknown id (the caller's own row
// holds it; there is nothing to refuse).
Status refuse_if_erased(store::Tx& tx, std::optional<std::int64_t> patron_id);

// Whether the patron was erased (false without a patron); read as may_write_about does.
Result<bool> is_erased(store::Tx& tx, std::optional<std::int64_t> patron_id);

// The refusal for an erased patron, for callers that already know.
std::unexpected<Error> erased_conflict(std::int64_t patron_id);

}  // namespace dangan::patrons
