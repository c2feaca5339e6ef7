// erasure.h — what erasing a patron does to every table that holds something of them:
// the twin of merge's kFollowsPatron/kMergedApart for Service::erase.
//
// The patrons module knows only its own tables. Every other module that keeps patron
// data (the service desk, loans, the catalogue, search) declares at wiring time, with
// Erasure::add, what erasing does to its tables: delete the rows, redact them (keep the
// row for statistics — kind, times, channel, scores, satisfaction — and replace free
// text and contact data with kErased), unlink them, or keep them (with the reason). So
// the dependency runs from those modules to patrons, never back.
//
// Invariants: every step runs inside the erase transaction, so an erasure is all or
// nothing; files (blobs) are removed only after that transaction commits, through the
// after-commit actions steps leave in the Context; every table with a patron_id column
// is named by some step (src/app/erasure_test.cpp fails otherwise); the erase's audit
// entry lists, per table, the action and how many rows it changed.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/db.h"

namespace dangan::patrons {

// What erased free text becomes.
inline constexpr const char* kErased = "(erased)";

enum class ErasureAction { deleted, redacted, unlinked, kept };
std::string_view to_string(ErasureAction a);

class Erasure {
 public:
  // Collected while the steps run, used after the transaction commits.
  struct Context {
    std::vector<std::function<void()>> after_commit;
  };
  using Run = std::function<Result<std::int64_t>(store::Tx&, std::int64_t patron_id, Context&)>;

  struct Step {
    std::string table;  // the table the step changes (or keeps)
    ErasureAction action;
    std::string what;  // which columns, or why the rows stay: for the audit entry and docs
    Run run;           // rows changed; empty for `kept`
  };

  // With the patrons module's own steps (the patron's contacts, timeline, key-field
  // corrections, portal accounts, tags, relations, the audit log).
  Erasure();

  void add(Step step);
  const std::vector<Step>& steps() const { return steps_; }

  // Runs every step in the order added. Returns the audit detail: one entry per step
  // that is not `kept`, {"table","action","rows"}.
  Result<nlohmann::json> run(store::Tx& tx, std::int64_t patron_id, Context& ctx) const;

  // The usual steps. `where` selects the patron's rows; each `?` in it is the patron id
  // (e.g. "patron_id = ?", or "ticket_id IN (SELECT id FROM tickets WHERE patron_id = ?)").
  // `set` is an UPDATE's SET list, e.g. "subject = '(erased)', body = '(erased)'".
  static Step delete_rows(std::string table, std::string where, std::string what);
  static Step redact_rows(std::string table, std::string where, std::string set, std::string what);
  static Step keep_rows(std::string table, std::string why);

 private:
  std::vector<Step> steps_;
};

}  // namespace dangan::patrons
