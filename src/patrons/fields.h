// fields.h — the patron's fields: how each is validated, stored and shown per view.
// Internal to the patrons module.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth.h"
#include "core/actor.h"
#include "core/result.h"
#include "patrons/patrons.h"
#include "store/db.h"

namespace dangan::patrons::detail {

enum class Kind { text, enumeration, date, postcode };
// How a field is shown: plain to all staff views; identifier hidden from analysts;
// cut (first characters, then ****) for masked views and hidden from analysts; birth
// shown as a year to masked views and analysts; sensitive hidden from all but the full
// and self views; staff_only hidden from the patron and analysts.
enum class Privacy { plain, identifier, cut, birth, sensitive, staff_only };

struct Field {
  std::string_view name;  // JSON name and column name
  Kind kind;
  int max_chars;
  std::vector<std::string_view> values;  // for enumerations
  Privacy privacy;
  bool key;            // changes need a second person (D11)
  bool self_editable;  // a patron may change it in the portal (D12)
};

const std::vector<Field>& fields();
const Field* find_field(std::string_view name);

constexpr std::string_view kIdDocTypes[] = {"resident_id",
                                            "passport",
                                            "hk_macau_permit",
                                            "taiwan_permit",
                                            "foreign_permanent_resident",
                                            "social_credit_code",
                                            "other"};
constexpr std::string_view kRelationKinds[] = {"household", "research_group", "member_of",
                                               "colleague", "guardian",       "other"};
constexpr std::string_view kConsents[] = {"contact", "marketing", "processing"};
constexpr std::string_view kRevealable[] = {
    "phones",          "emails", "id_document", "address", "birth_date", "household_registration",
    "economic_status", "name",   "name_latin",  "postcode"};

// The validated form of a create or update body. Absent members are "not given".
struct Input {
  std::vector<std::pair<std::string, store::Value>> columns;  // scalar fields
  std::optional<std::string> type;
  std::optional<std::optional<std::pair<std::string, std::string>>> id_document;  // null clears
  std::optional<std::vector<std::string>> phones, emails;  // as given, validated
  std::optional<std::vector<std::string>> tags, interests;
  std::optional<std::vector<std::pair<std::string, bool>>> consents;
  std::optional<std::optional<std::int64_t>> organisation_id, unit_id;
  std::string reason;  // for key-field corrections
};

// `creating` requires type and name. `self` limits to what a patron may edit.
Result<Input> parse_input(const nlohmann::json& body, bool creating, bool self);
Status validate_id_document(const std::string& type, const std::string& number);

// The whole patron, unmasked, as stored; nullopt when the id does not exist.
Result<std::optional<nlohmann::json>> load(store::Tx& tx, std::int64_t id);
// Several patrons in three queries, in the order of `ids` (missing ids are skipped).
Result<std::vector<nlohmann::json>> load_many(store::Tx& tx, const std::vector<std::int64_t>& ids);
// A copy of `full` as `view` may see it; fills "masked" with the names of hidden fields.
nlohmann::json apply_view(const nlohmann::json& full, View view);
// Names of the personal fields `view` shows (in any form) — what a read discloses.
std::vector<std::string> disclosed(const nlohmann::json& full, View view);

std::string search_text(const nlohmann::json& full);
// A name as duplicate detection compares it: folded, in pinyin, without spaces
// (张伟, 張偉 and 章伟 all give "zhangwei").
std::string name_key(const std::string& name);
// Stores search_text and name_key for `full` (as just loaded).
Status refresh_keys(store::Tx& tx, const nlohmann::json& full);

// Active patrons that look like the same party as `probe` (a patron-shaped object):
// same ID document, phone or e-mail, or the same name (folded or by pinyin) in the
// same organisation. Each candidate says what matched.
Result<nlohmann::json> find_candidates(store::Tx& tx, const nlohmann::json& probe,
                                       std::optional<std::int64_t> self);
nlohmann::json brief(const nlohmann::json& p);

// Access checks shared by the registry's operations.
// Staff role with `perm`; portal accounts are refused.
Status staff_may(const Actor& by, auth::Permission perm);
// A patron sees only themself; unit-scoped staff only their unit's patrons.
Status in_scope(const Actor& by, const nlohmann::json& p);
// Staff with `perm` (patrons: themself) and in scope.
Status may_touch(const Actor& by, const nlohmann::json& p, auth::Permission perm);
// The patron, unless missing (not_found) or merged (conflict, field "merged_into:ID").
Result<nlohmann::json> load_existing(store::Tx& tx, std::int64_t id);
// As load_existing, and active, and in `by`'s scope.
Result<nlohmann::json> load_active_in_scope(store::Tx& tx, const Actor& by, std::int64_t id);

}  // namespace dangan::patrons::detail
