// patrons.h — the patron registry: one record per real-world person or organisation.
//
// A patron is `active`, or `merged` into a survivor (its id then redirects there), or
// `erased` (personal fields anonymised, kind and statistics kept). Nothing else
// changes the status:
//
//   active --merge_into(survivor)--> merged      (all history moves to the survivor)
//   active --erase--> erased
//
// What each role sees (view_for):
//   manager, the patron themself ... everything (a patron never sees staff_notes)
//   administrator, archivist, agent  phones 138****5678, ID 110105********123X, e-mail
//                                     z***@x.cn, address and 户籍 cut short, birth date
//                                     as a year, economic status hidden
//   analyst ......................... no direct identifier at all (a person's name,
//                                     contacts, ID, address, postcode, birth date)
//   auditor ......................... nothing
// Revealing a masked field is an explicit call with a reason, audited.
//
// Invariants: every change is one transaction with its audit entry and timeline
// event; every read of personal data is audited (through the ReadRecorder); key
// fields (name, ID document) change only through a key-field correction that a
// second person approves (D11), and the old value stays visible in its history; an
// active patron's ID document is unique; unit-scoped staff see only their unit's
// patrons (D6).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "patrons/erasure.h"
#include "store/db.h"

namespace dangan::patrons {

// Tables whose rows belong to a patron through a `patron_id` column and simply follow the
// patron when it is merged into another (tickets, loans, visits, alerts, the timeline …).
// Tables that need more than that (contacts, tags, relations, the sensitive mark) or
// stay as written (the audit log) are handled apart; merge_test.cpp checks that every
// table with a patron_id column is one or the other.
inline constexpr const char* kFollowsPatron[] = {
    "events",       "key_field_changes", "interactions", "tickets", "follow_up_visits",
    "alerts",       "loans",             "board_posts",  "records", "donors",
    "search_log",   "patron_notices",    "onsite_visits", "service_cases",
    "knowledge_services", "trace_events"};
inline constexpr const char* kMergedApart[] = {"users",          "patron_contacts",
                                               "patron_tags",    "patron_relations",
                                               "audit_log",      "sensitive_patrons",
                                               "patron_tiers"};

enum class View { full, self, masked, deidentified, none };
View view_for(const Actor& actor, std::int64_t patron_id);

struct ListQuery {
  std::string q;  // name, pinyin, initials, phone, e-mail or ID number
  std::optional<std::string> type, region, tag, status;
  std::optional<std::int64_t> organisation_id, unit_id;
  std::string sort = "id";  // id, name, created_at, updated_at; '-' prefix for descending
  std::optional<std::string> cursor;
  int limit = 50;
};

struct CreateResult {
  nlohmann::json patron;
  nlohmann::json duplicate_candidates = nlohmann::json::array();
};

// The patrons' names in a staff list of other things (loans, visits, alerts …), exactly as
// the patron list shows them to `by`: view_for/apply_view (whole to the masked and full
// views, a person's name hidden from analysts), nothing without patron_read or outside a
// unit-scoped viewer's unit, an erased patron's redacted name; null for a merged or unknown
// id. Each name disclosed is recorded on `reads` as the patron list records its rows
// (patron.list_read, once per patron, detail {"list": list}); pass no recorder only when
// the caller records a read of each listed patron itself.
Result<std::map<std::int64_t, nlohmann::json>> names_in_list(store::Tx& tx, const Actor& by,
                                                             audit::ReadRecorder* reads,
                                                             const std::vector<std::int64_t>& ids,
                                                             std::string_view list);
// Sets "patron_name" on every item of `items` (a JSON array) from its "patron_id" through
// names_in_list; null where the item has no patron.
Status add_patron_names(store::Tx& tx, const Actor& by, audit::ReadRecorder* reads,
                        nlohmann::json& items, std::string_view list);

class Service {
 public:
  Service(store::Database& db, audit::ReadRecorder& reads, const Clock& clock = system_clock());
  // Called after an erasure has disabled the patron's portal accounts, so that the
  // caller can drop any session it still trusts.
  void on_portal_revoked(std::function<void(std::int64_t patron_id)> callback) {
    on_portal_revoked_ = std::move(callback);
  }
  // What erase() does to each table (erasure.h): modules that keep patron data add their
  // steps here at wiring time.
  Erasure& erasure() { return erasure_; }

  // Validates `body`; fails with `invalid` naming the field, `conflict` (with
  // candidates in the message's error detail) when an active patron has the same ID
  // document. Softer matches (phone, e-mail, similar name in the same organisation) do
  // not stop the creation and come back as duplicate_candidates.
  Result<CreateResult> create(const Actor& by, const nlohmann::json& body);
  // The patron as `by` may see it. A merged id fails with `conflict` whose field is
  // "merged_into:<survivor id>" (the API answers with a redirect).
  Result<nlohmann::json> get(const Actor& by, std::int64_t id);
  // Applies the non-key fields at once; key fields (name, id_document) need `reason`
  // and become pending corrections. `expected_version`, when given, must match.
  Result<nlohmann::json> update(const Actor& by, std::int64_t id, const nlohmann::json& body,
                                std::optional<std::int64_t> expected_version);
  Result<nlohmann::json> list(const Actor& by, const ListQuery& q);
  Result<nlohmann::json> duplicates(const Actor& by, const nlohmann::json& probe);
  Result<nlohmann::json> reveal(const Actor& by, std::int64_t id,
                                const std::vector<std::string>& fields, const std::string& reason);
  // Moves everything of `from` onto `into`; `from` becomes merged.
  Result<nlohmann::json> merge(const Actor& by, std::int64_t into, std::int64_t from,
                               const std::string& reason);
  // Anonymises the patron record and runs every erasure step (erasure.h) in the same
  // transaction; the audit entry lists, per table, what was done to how many rows.
  Result<nlohmann::json> erase(const Actor& by, std::int64_t id, const std::string& reason);
  Result<nlohmann::json> export_data(const Actor& by, std::int64_t id);
  Result<nlohmann::json> timeline(const Actor& by, std::int64_t id,
                                  const std::vector<std::string>& kinds,
                                  std::optional<std::string> cursor, int limit);

  // Key-field corrections (D11).
  Result<nlohmann::json> key_changes(const Actor& by, std::optional<std::int64_t> patron_id,
                                     std::optional<std::string> status);
  Result<nlohmann::json> decide_key_change(const Actor& by, std::int64_t change_id, bool approve,
                                           const std::string& note);

  // Contact validity (D12).
  Result<nlohmann::json> set_contact_validity(const Actor& by, std::int64_t patron_id,
                                              std::int64_t contact_id, bool valid,
                                              const std::string& reason);
  // Relations between patrons (D49).
  Result<nlohmann::json> relations(const Actor& by, std::int64_t id);
  Result<nlohmann::json> add_relation(const Actor& by, std::int64_t id, const nlohmann::json& body);
  Status remove_relation(const Actor& by, std::int64_t id, std::int64_t relation_id);
  // Fill rates, invalid and stale contacts (D12).
  Result<nlohmann::json> data_quality(const Actor& by);
  // Re-verification tasks (D12): valid contacts not verified for `days` days (or never),
  // oldest first, as the caller's view shows them; paged by contact id.
  Result<nlohmann::json> contacts_due(const Actor& by, int days, std::optional<std::int64_t> after,
                                      int limit);

 private:
  store::Database& db_;
  audit::ReadRecorder& reads_;
  const Clock& clock_;
  std::function<void(std::int64_t)> on_portal_revoked_;
  Erasure erasure_;
};

}  // namespace dangan::patrons
