// internal.h — what the catalogue's source files share; not for other modules.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "catalogue/catalogue.h"
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
Status only_fields(const json& body, std::initializer_list<std::string_view> allowed);
// Checks an optional string member's type and length (code points).
Result<std::optional<std::string>> opt_string(const json& body, const char* name, long max_len);

}  // namespace dangan::catalogue::detail
