// internal.h — what the catalogue's source files share; not for other modules.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "auth/auth.h"
#include "catalogue/catalogue.h"
#include "core/body.h"
#include "store/db.h"

namespace dangan::catalogue::detail {

using json = nlohmann::json;

struct Scheme {
  std::int64_t id = 0;
  std::string code, name, tmpl;
  std::optional<std::int64_t> fonds_id, category_id;
  bool reuse_numbers = false;
};

struct Numbered {
  std::string series, code;
  std::int64_t seq = 0;
  std::optional<std::int64_t> released_id;  // a reused number's released_numbers row
};

// The next number of the series the parts render to (a released one first when the
// scheme reuses numbers).
Result<Numbered> take_number(store::Tx& tx, const Scheme& scheme, const CodeParts& parts,
                             const std::string& now);
Status attach_reused_number(store::Tx& tx, const Numbered& n, std::int64_t record_id);
// Moves the series' counter to at least `seq`.
Status claim_number(store::Tx& tx, const Scheme& scheme, const std::string& series,
                    std::int64_t seq);

// The most specific scheme for a fonds and category.
Result<Scheme> scheme_for(store::Tx& tx, std::int64_t fonds_id, std::int64_t category_id);
Result<Scheme> load_scheme(store::Tx& tx, std::int64_t id);

// Look-ups of the catalogue's structure that checking and numbering a new record needs
// (fonds, categories and their paths, retention periods, schemes, units, locations, the
// patron's status). Every answer, found or not, is kept for the object's life: one
// create, or one bulk creator (one transaction), so a large import asks each question
// once instead of once per record.
class Lookup {
 public:
  explicit Lookup(store::Tx& tx) : tx_(tx) {}
  store::Tx& tx() { return tx_; }
  Result<bool> fonds_exists(std::int64_t id);
  Result<std::optional<std::int64_t>> fonds_by_code(const std::string& code);
  // The fonds' code and its unit's code ("" without a unit).
  Result<std::pair<std::string, std::string>> fonds_codes(std::int64_t id);
  Result<bool> category_exists(std::int64_t id);
  // A top-level category (no parent) or a child of `parent`, by code.
  Result<std::optional<std::int64_t>> category_by_code(std::optional<std::int64_t> parent,
                                                       const std::string& code);
  Result<std::string> category_code(std::int64_t id);
  // The category's ancestors and itself, root first.
  Result<std::vector<std::int64_t>> category_path(std::int64_t id);
  // The code of the retention period with this code or name.
  Result<std::optional<std::string>> retention_code(const std::string& code_or_name);
  // Its length in years; empty for a permanent one.
  Result<std::optional<std::int64_t>> retention_years(const std::string& code);
  Result<std::optional<std::string>> patron_status(std::int64_t id);
  Result<bool> location_exists(std::int64_t id);
  Result<std::pair<std::string, std::string>> cabinet_and_box(std::int64_t location_id);
  Result<std::optional<std::string>> unit_code(std::int64_t id);
  // The most specific scheme for a fonds and category.
  Result<Scheme> scheme_for(std::int64_t fonds_id, std::int64_t category_id);

 private:
  store::Tx& tx_;
  std::map<std::int64_t, bool> fonds_, categories_, locations_;
  std::map<std::string, std::optional<std::int64_t>> fonds_by_code_;
  std::map<std::int64_t, std::pair<std::string, std::string>> fonds_codes_, cabinet_box_;
  std::map<std::pair<std::int64_t, std::string>, std::optional<std::int64_t>> category_by_code_;
  std::map<std::int64_t, std::string> category_code_;
  std::map<std::int64_t, std::vector<std::int64_t>> category_path_;
  std::map<std::string, std::optional<std::string>> retention_code_;
  std::map<std::string, std::optional<std::int64_t>> retention_years_;
  std::map<std::int64_t, std::optional<std::string>> patron_status_, unit_code_;
  std::map<std::pair<std::int64_t, std::int64_t>, Scheme> scheme_for_;
};

// A record checked and ready to be written: what create_record_in and BulkCreator
// share, so a record is checked, defaulted and numbered the same way by both.
struct NewRecord {
  std::string title, description, creator, access_level, carrier, retention, keywords_json,
      rights_json, now;
  std::vector<std::string> keywords;
  std::optional<std::string> date_from, date_to, embargo_until, retention_until;
  std::int64_t year = 0, fonds_id = 0, category_id = 0;
  std::optional<std::int64_t> location_id, pages, patron_id;
  bool important = false;
  std::int64_t source_authority = 0;
  std::optional<std::string> reference_code;  // given (imported); else the scheme numbers it
  Scheme scheme;
  CodeParts parts;
};
// Checks a create body with every rule of create_record (the same errors, the same
// fields) and fills in the defaults (fonds, category, retention, year), the scheme and
// the parts of its reference code. Writes nothing.
Result<NewRecord> check_new_record(Lookup& look, const Actor& by, const nlohmann::json& body,
                                   const Config& config, const std::string& now);
// The INSERT of records rows (kRecordInsertColumns values each) and a row's values.
extern const char* const kRecordInsert;
constexpr std::size_t kRecordInsertColumns = 28;
void record_values(store::Params& out, const NewRecord& r, const Numbered& n, const Actor& by);
// The search document of a record just created from `r` (what document_of reads back).
search::Document new_document(const NewRecord& r, std::int64_t id, const std::string& code,
                              const std::vector<std::int64_t>& category_path,
                              const std::string& today);
// The audit entry of a created record, and (for a customer file) its patron's timeline
// event, appended.
audit::Entry create_entry(const NewRecord& r, std::int64_t id, const Numbered& n);
Status created_event(store::Tx& tx, const Actor& by, const NewRecord& r, std::int64_t id,
                     const std::string& code, const Clock& clock);

// Numbering many records of non-reusing schemes at once (BulkCreator::flush): each
// series' wishes in the records' order — the next number (empty) or an imported number
// to claim — applied as take_number and claim_number would one after another, with two
// statements for all the series: one locks and reads their counters, one writes where
// they end. `taken` gets the numbers of the empty wishes, in order.
struct SeriesWishes {
  std::int64_t scheme_id = 0;
  std::string series;
  std::vector<std::optional<std::int64_t>> wishes;
  std::vector<std::int64_t> taken;
};
Status number_many(store::Tx& tx, std::vector<SeriesWishes>& work);

// Staff with `p`; portal accounts are refused.
Status staff_may(const Actor& by, auth::Permission p);
// Readers of the catalogue: staff with record_read, and portal patrons.
Status may_read(const Actor& by);

std::string now_text(const Clock& c);
std::string today_text(const Clock& c);  // YYYY-MM-DD (UTC)

// The category's ancestors and itself, root first.
Result<std::vector<std::int64_t>> category_path_ids(store::Tx& tx, std::int64_t category_id);
// Codes of the location's cabinet and box ancestors (or itself), for templates.
Result<std::pair<std::string, std::string>> cabinet_and_box(store::Tx& tx,
                                                            std::int64_t location_id);
// "Building A / Room 101 / Cabinet 3 / …" for display.
Result<std::string> location_label(store::Tx& tx, std::int64_t location_id);

std::string like_escape(const std::string& s);
// Refuses members of `body` other than `allowed` (and a body that is not an object).
using body::only_fields;
// Checks an optional string member's type and length (code points).
inline Result<std::optional<std::string>> opt_string(const json& b, const char* name,
                                                     long max_len) {
  return body::optional_text(b, name, max_len);
}

}  // namespace dangan::catalogue::detail
