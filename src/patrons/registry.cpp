// The registry's reads and bulk operations: listing, duplicates, reveal, merge,
// erasure, export and the timeline. Creation and updates are in patrons.cpp.
#include <algorithm>
#include <set>

#include "auth/auth.h"
#include "core/cursor.h"
#include "patrons/fields.h"
#include "patrons/patrons.h"
#include "patrons/timeline.h"
#include "patrons/validation.h"
#include "store/keyset.h"
#include "text/text.h"

namespace dangan::patrons {

using json = nlohmann::json;
using namespace detail;

namespace {

std::string like_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Sort keys the list accepts, with the column each orders by.
const std::map<std::string, std::string>& sort_columns() {
  static const std::map<std::string, std::string> m = {
      {"id", "id"}, {"name", "name"}, {"created_at", "created_at"}, {"updated_at", "updated_at"}};
  return m;
}

// The condition that resumes a name-ordered list after patron `id`, the last row of the
// previous page. The cursor carries that id alone: a name in it would hand the name to a
// viewer it is hidden from (analysts see persons de-identified), outside the audit of
// personal-data reads. So the name is read here, in the list's own read transaction. Names
// are NOT NULL, so the order is total.
// A patron merged away keeps its name (the list resumes where it was); one erased since
// (its name is now "(erased N)", sorted elsewhere) or moved out of a unit-scoped viewer's
// unit has no place in the list any more: 409 on `cursor`, start again, rather than a page
// that silently skips or repeats patrons.
Result<std::string> after_name_of(store::Tx& tx, const Actor& by, std::int64_t id,
                                  const std::string& listed_status, bool desc, store::Params& p) {
  auto row = TRY(tx.maybe_one("SELECT name, status, unit_id FROM patrons WHERE id = ?", {id}));
  // Patrons are never deleted: an id that names none is no cursor this list wrote.
  if (!row) return std::unexpected(cursor::malformed());
  bool erased_since = row->str(1) == "erased" && listed_status != "erased";
  bool out_of_view = by.unit_scoped && by.unit_id && row->opt_i64(2) != by.unit_id;
  if (erased_since || out_of_view)
    return std::unexpected(Error{ErrorCode::conflict,
                                 "the patron this page continued after has been erased or has "
                                 "left your view since; load the list again from the first page",
                                 "cursor"});
  return store::after_key("p.name", "p.id", cursor::Key{row->str(0), id}, desc, p);
}

}  // namespace

Result<json> Service::list(const Actor& by, const ListQuery& q) {
  TRY_STATUS(staff_may(by, auth::Permission::patron_read));
  bool desc = !q.sort.empty() && q.sort[0] == '-';
  std::string key = desc ? q.sort.substr(1) : q.sort;
  auto col_it = sort_columns().find(key);
  if (col_it == sort_columns().end())
    return invalid("sort", "must be one of id, name, created_at, updated_at (prefix - to reverse)");
  const std::string& col = col_it->second;
  if (q.type && *q.type != "person" && *q.type != "organisation")
    return invalid("type", "must be person or organisation");
  if (q.status && *q.status != "active" && *q.status != "erased")
    return invalid("status", "must be active or erased");

  std::string sql = "SELECT p.id FROM patrons p WHERE p.status = ?";
  store::Params params{q.status.value_or("active")};
  if (q.type) sql += " AND p.type = ?", params.push_back(*q.type);
  if (q.region) sql += " AND p.region = ?", params.push_back(*q.region);
  if (q.organisation_id) sql += " AND p.organisation_id = ?", params.push_back(*q.organisation_id);
  if (q.unit_id) sql += " AND p.unit_id = ?", params.push_back(*q.unit_id);
  if (by.unit_scoped && by.unit_id) sql += " AND p.unit_id = ?", params.push_back(*by.unit_id);
  if (q.tag)
    sql += " AND p.id IN (SELECT t.patron_id FROM patron_tags t WHERE t.tag = ?)",
        params.push_back(*q.tag);
  if (!q.q.empty()) {
    if (text::utf8_length(q.q) > 100) return invalid("q", "must have at most 100 characters");
    // A phone, e-mail or ID number finds exactly; anything else matches names, Latin
    // names, pinyin and pinyin initials, traditional or simplified.
    std::string term = q.q;
    term.erase(0, term.find_first_not_of(' '));
    term.erase(term.find_last_not_of(' ') + 1);
    auto phone = normalize_phone(term);
    auto email = term.find('@') != std::string::npos ? normalize_email(term) : std::nullopt;
    bool idlike = term.size() >= 15 && term.size() <= 18 &&
                  std::all_of(term.begin(), term.end(),
                              [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }) &&
                  std::isdigit(static_cast<unsigned char>(term[0]));
    std::string folded = text::fold(term);
    std::string compact;
    for (char c : folded)
      if (c != ' ') compact.push_back(c);
    sql += " AND (p.search_text LIKE ? ESCAPE '\\' OR p.search_text LIKE ? ESCAPE '\\'";
    params.push_back("%" + like_escape(folded) + "%");
    params.push_back("%" + like_escape(compact) + "%");
    if (phone || email) {
      sql +=
          " OR EXISTS (SELECT 1 FROM patron_contacts c WHERE c.patron_id = p.id AND c.kind = ? "
          "AND c.normalized = ?)";
      params.push_back(phone ? "phone" : "email");
      params.push_back(phone ? *phone : *email);
    }
    if (idlike) {
      std::string upper = term;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      sql += " OR p.id_doc_number = ?";
      params.push_back(upper);
    }
    sql += ")";
  }
  auto tx = TRY(db_.begin(store::TxMode::read));
  // The cursor is the last row's id when sorting by id or by name (the name read back by
  // after_name_of), else [time, id] of the last row.
  if (col == "id") {
    if (auto after = TRY(cursor::parse_id(q.cursor)))
      sql += store::after_id("p.id", *after, desc, params);
  } else if (col == "name") {
    if (auto after = TRY(cursor::parse_id(q.cursor)))
      sql += TRY(after_name_of(*tx, by, *after, q.status.value_or("active"), desc, params));
  } else if (auto after = TRY(cursor::parse_time_key(q.cursor))) {
    sql += store::after_key("p." + col, "p.id", *after, desc, params);
  }
  std::string dir = desc ? " DESC" : "";
  sql += col == "id" ? " ORDER BY p.id" + dir : " ORDER BY p." + col + dir + ", p.id" + dir;
  sql += " LIMIT ?";
  params.push_back(static_cast<std::int64_t>(q.limit + 1));

  auto rows = TRY(tx->query(sql, params));
  json items = json::array();
  std::string last_time;
  std::int64_t last_id = 0;
  std::size_t n = std::min<std::size_t>(rows.size(), q.limit);
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back(rows[i].i64(0));
  for (json& full : TRY(load_many(*tx, ids))) {
    std::int64_t id = full["id"];
    View v = view_for(by, id);
    json shown = apply_view(full, v);
    json item = {{"id", id},
                 {"type", shown["type"]},
                 {"name", shown["name"]},
                 {"name_latin", shown["name_latin"]},
                 {"status", shown["status"]},
                 {"region", shown["region"]},
                 {"organisation_name", shown["organisation_name"]},
                 {"phones", shown["phones"]},
                 {"emails", shown["emails"]},
                 {"tags", shown["tags"]},
                 {"unit_id", shown["unit_id"]},
                 {"created_at", shown["created_at"]},
                 {"updated_at", shown["updated_at"]},
                 {"masked", shown["masked"]}};
    items.push_back(std::move(item));
    if (!disclosed(full, v).empty())
      reads_.record(by, {"patron.list_read", "patron", std::to_string(id), id});
    last_id = id;
    bool by_time = col != "id" && col != "name";
    last_time = by_time && full[col].is_string() ? full[col].get<std::string>() : "";
  }
  json out = {{"items", items}, {"next_cursor", nullptr}};
  if (rows.size() > n)
    out["next_cursor"] = col == "id" || col == "name" ? cursor::encode_id(last_id)
                                                      : cursor::encode_key(last_time, last_id);
  return out;
}

Result<std::map<std::int64_t, json>> names_in_list(store::Tx& tx, const Actor& by,
                                                   audit::ReadRecorder* reads,
                                                   const std::vector<std::int64_t>& ids,
                                                   std::string_view list) {
  std::map<std::int64_t, json> out;
  for (auto id : ids) out[id] = nullptr;
  // Whoever may not read the patron list sees no names here either (auditors, portal
  // accounts, staff without patron_read).
  if (ids.empty() || !staff_may(by, auth::Permission::patron_read)) return out;
  std::vector<std::int64_t> unique;
  for (auto& [id, name] : out) unique.push_back(id);
  for (json& full : TRY(load_many(tx, unique))) {
    std::int64_t id = full["id"];
    if (full["status"] == "merged" || !in_scope(by, full)) continue;
    View v = view_for(by, id);
    out[id] = apply_view(full, v)["name"];
    auto shown = disclosed(full, v);
    if (reads && std::find(shown.begin(), shown.end(), "name") != shown.end())
      reads->record(by, {"patron.list_read",
                         "patron",
                         std::to_string(id),
                         id,
                         "",
                         {{"list", std::string(list)}}});
  }
  return out;
}

Status add_patron_names(store::Tx& tx, const Actor& by, audit::ReadRecorder* reads, json& items,
                        std::string_view list) {
  std::vector<std::int64_t> ids;
  for (auto& item : items)
    if (item.contains("patron_id") && item["patron_id"].is_number_integer())
      ids.push_back(item["patron_id"].get<std::int64_t>());
  auto names = TRY(names_in_list(tx, by, reads, ids, list));
  for (auto& item : items) {
    auto pid = item.find("patron_id");
    item["patron_name"] =
        pid != item.end() && pid->is_number_integer() ? names[pid->get<std::int64_t>()] : json();
  }
  return {};
}

Result<json> Service::duplicates(const Actor& by, const json& probe) {
  TRY_STATUS(staff_may(by, auth::Permission::patron_write));
  auto tx = TRY(db_.begin(store::TxMode::read));
  // Reuses the creation check: build the probe the same way a new patron would look.
  json p = probe;
  if (p.contains("id_number") && p["id_number"].is_string()) {
    std::string n = p["id_number"];
    std::transform(n.begin(), n.end(), n.begin(), ::toupper);
    p["id_document"] = {{"type", p.value("id_type", "resident_id")}, {"number", n}};
  }
  if (p.contains("phone")) p["phones"] = json::array({p["phone"]});
  if (p.contains("email")) p["emails"] = json::array({p["email"]});
  json items = json::array();
  for (auto& c : TRY(find_candidates(*tx, p, std::nullopt)))
    if (in_scope(by, c)) items.push_back(c);
  return json{{"items", items}};
}

Result<json> Service::reveal(const Actor& by, std::int64_t id,
                             const std::vector<std::string>& fields_wanted,
                             const std::string& reason) {
  TRY_STATUS(staff_may(by, auth::Permission::patron_reveal));
  if (text::utf8_length(reason) < 4)
    return invalid("reason", "say why you need to see this (at least 4 characters)");
  if (fields_wanted.empty()) return invalid("fields", "name at least one field");
  for (auto& f : fields_wanted)
    if (std::find(std::begin(kRevealable), std::end(kRevealable), f) == std::end(kRevealable))
      return invalid("fields", "cannot reveal '" + f + "'");
  auto tx = TRY(db_.begin(store::TxMode::write));
  json p = TRY(load_existing(*tx, id));
  TRY_STATUS(in_scope(by, p));
  json out = {{"id", id}};
  for (auto& f : fields_wanted) out[f] = p[f];
  TRY_STATUS(audit::append(
      *tx, by,
      {"patron.reveal", "patron", std::to_string(id), id, reason, {{"fields", fields_wanted}}},
      clock_));
  TRY(timeline::append(
      *tx, by,
      {id, "patron.revealed", "masked fields revealed to staff", {{"fields", fields_wanted}}},
      clock_));
  TRY_STATUS(tx->commit());
  return out;
}

Result<json> Service::merge(const Actor& by, std::int64_t into, std::int64_t from,
                            const std::string& reason) {
  TRY_STATUS(staff_may(by, auth::Permission::patron_merge));
  if (into == from) return invalid("from", "cannot merge a patron into itself");
  if (text::utf8_length(reason) < 4)
    return invalid("reason", "say why these are the same (at least 4 characters)");
  auto tx = TRY(db_.begin(store::TxMode::write));
  json survivor = TRY(load_existing(*tx, into));
  auto src = load_existing(*tx, from);
  if (!src) {
    if (src.error().code == ErrorCode::not_found) return invalid("from", src.error().message);
    if (src.error().code == ErrorCode::conflict)  // already merged elsewhere
      return conflict("patron " + std::to_string(from) + " was already merged into patron " +
                          src.error().field.substr(12),
                      "from");
    return std::unexpected(src.error());
  }
  TRY_STATUS(in_scope(by, survivor));
  TRY_STATUS(in_scope(by, *src));
  if (survivor["status"] != "active" || (*src)["status"] != "active")
    return conflict("only active patrons can be merged");
  if (survivor["type"] != (*src)["type"])
    return invalid("from", "a person and an organisation cannot be merged");
  std::string now = format_time(clock_.now());
  // Contacts: move the ones the survivor does not already have.
  TRY(tx->exec(
      "UPDATE patron_contacts SET patron_id = ?, position = position + 100 WHERE patron_id = ? AND "
      "NOT EXISTS (SELECT 1 FROM patron_contacts s WHERE s.patron_id = ? AND s.kind = "
      "patron_contacts.kind AND s.normalized = patron_contacts.normalized)",
      {into, from, into}));
  TRY(tx->exec("DELETE FROM patron_contacts WHERE patron_id = ?", {from}));
  TRY(
      tx->exec("INSERT INTO patron_tags (patron_id, tag) SELECT ?, tag FROM patron_tags t WHERE "
               "t.patron_id = ? AND NOT EXISTS (SELECT 1 FROM patron_tags s WHERE s.patron_id = ? "
               "AND s.tag = t.tag)",
               {into, from, into}));
  TRY(tx->exec("DELETE FROM patron_tags WHERE patron_id = ?", {from}));
  for (const char* table : kFollowsPatron)
    TRY(tx->exec(std::string("UPDATE ") + table + " SET patron_id = ? WHERE patron_id = ?",
                 {into, from}));
  // The sensitive mark (敏感客户) stays one: the survivor keeps its own when it has one.
  TRY(tx->exec(
      "INSERT INTO sensitive_patrons (patron_id, since, reason, alert_id) SELECT ?, since, "
      "reason, alert_id FROM sensitive_patrons WHERE patron_id = ? AND NOT EXISTS (SELECT 1 "
      "FROM sensitive_patrons WHERE patron_id = ?)",
      {into, from, into}));
  TRY(tx->exec("DELETE FROM sensitive_patrons WHERE patron_id = ?", {from}));
  // The service tier likewise: the survivor's own tier wins.
  TRY(tx->exec(
      "UPDATE patron_tiers SET patron_id = ? WHERE patron_id = ? AND NOT EXISTS (SELECT 1 FROM "
      "patron_tiers s WHERE s.patron_id = ?)",
      {into, from, into}));
  TRY(tx->exec("DELETE FROM patron_tiers WHERE patron_id = ?", {from}));
  // Prospects once merged into the merged-away patron now lead to the survivor.
  TRY(tx->exec("UPDATE prospects SET merged_into = ? WHERE merged_into = ?", {into, from}));
  TRY(
      tx->exec("DELETE FROM patron_relations WHERE (patron_id = ? AND related_id = ?) OR "
               "(patron_id = ? AND related_id = ?)",
               {from, into, into, from}));
  TRY(
      tx->exec("UPDATE patron_relations SET patron_id = ? WHERE patron_id = ? AND NOT EXISTS "
               "(SELECT 1 FROM patron_relations s WHERE s.patron_id = ? AND s.related_id = "
               "patron_relations.related_id AND s.kind = patron_relations.kind)",
               {into, from, into}));
  TRY(
      tx->exec("UPDATE patron_relations SET related_id = ? WHERE related_id = ? AND NOT EXISTS "
               "(SELECT 1 FROM patron_relations s WHERE s.related_id = ? AND s.patron_id = "
               "patron_relations.patron_id AND s.kind = patron_relations.kind)",
               {into, from, into}));
  TRY(tx->exec("DELETE FROM patron_relations WHERE patron_id = ? OR related_id = ?", {from, from}));
  TRY(tx->exec("UPDATE patrons SET organisation_id = ? WHERE organisation_id = ?", {into, from}));
  TRY(tx->exec("UPDATE users SET patron_id = ? WHERE patron_id = ?", {into, from}));
  // Fields the survivor lacks are filled from the merged record.
  std::string fill;
  for (auto& f : fields())
    fill += ", " + std::string(f.name) + " = COALESCE(" + std::string(f.name) + ", (SELECT " +
            std::string(f.name) + " FROM patrons m WHERE m.id = ?))";
  store::Params fp{now};
  for (std::size_t i = 0; i < fields().size(); ++i) fp.push_back(from);
  fp.push_back(into);
  TRY(tx->exec("UPDATE patrons SET updated_at = ?, version = version + 1" + fill + " WHERE id = ?",
               fp));
  if (survivor["id_document"].is_null() && !(*src)["id_document"].is_null()) {
    TRY(tx->exec("UPDATE patrons SET id_doc_type = NULL, id_doc_number = NULL WHERE id = ?",
                 {from}));
    TRY(tx->exec("UPDATE patrons SET id_doc_type = ?, id_doc_number = ? WHERE id = ?",
                 {(*src)["id_document"]["type"].get<std::string>(),
                  (*src)["id_document"]["number"].get<std::string>(), into}));
  }
  TRY(
      tx->exec("UPDATE patrons SET status = 'merged', merged_into = ?, updated_at = ?, "
               "version = version + 1 WHERE id = ?",
               {into, now, from}));
  TRY(tx->exec("UPDATE patrons SET merged_into = ? WHERE merged_into = ?", {into, from}));
  json full = *TRY(load(*tx, into));
  TRY_STATUS(refresh_keys(*tx, full));
  TRY_STATUS(audit::append(
      *tx, by, {"patron.merge", "patron", std::to_string(into), into, reason, {{"merged", from}}},
      clock_));
  TRY_STATUS(audit::append(
      *tx, by,
      {"patron.merged_away", "patron", std::to_string(from), from, reason, {{"into", into}}},
      clock_));
  TRY(timeline::append(
      *tx, by,
      {into, "patron.merged", "merged with patron " + std::to_string(from), {{"merged", from}}},
      clock_));
  TRY_STATUS(tx->commit());
  return apply_view(full, view_for(by, into));
}

Result<json> Service::erase(const Actor& by, std::int64_t id, const std::string& reason) {
  TRY_STATUS(staff_may(by, auth::Permission::patron_erase));
  if (text::utf8_length(reason) < 4) return invalid("reason", "say why (at least 4 characters)");
  auto tx = TRY(db_.begin(store::TxMode::write));
  json p = TRY(load_existing(*tx, id));
  TRY_STATUS(in_scope(by, p));
  if (p["status"] == "erased") return conflict("this patron is already erased");
  // Personal fields go (the pinyin name key too: it spells the name); type, gender, birth
  // year, region, education, occupation, sector, tags, consents' history and the kinds
  // and times of events stay for statistics.
  std::string birth_year =
      p["birth_date"].is_string() ? p["birth_date"].get<std::string>().substr(0, 4) + "-01-01" : "";
  std::string now = format_time(clock_.now());
  TRY(tx->exec(
      "UPDATE patrons SET status = 'erased', name = ?, name_latin = NULL, birth_date = ?, "
      "id_doc_type = NULL, id_doc_number = NULL, postcode = NULL, address = NULL, "
      "household_registration = NULL, organisation_relation = NULL, preferred_contact_times = "
      "NULL, economic_status = NULL, special_needs = NULL, staff_notes = NULL, search_text = '', "
      "name_key = NULL, consent_contact = 0, consent_marketing = 0, consent_processing = 0, "
      "updated_at = ?, version = version + 1 WHERE id = ?",
      {"(erased " + std::to_string(id) + ")",
       birth_year.empty() ? store::null_value() : store::Value(birth_year), now, id}));
  // Everything else of the person, module by module (erasure.h); files go after commit.
  Erasure::Context ctx;
  json erased = TRY(erasure_.run(*tx, id, ctx));
  TRY_STATUS(audit::append(
      *tx, by, {"patron.erase", "patron", std::to_string(id), id, reason, {{"erased", erased}}},
      clock_));
  TRY(timeline::append(*tx, by, {id, "patron.erased", "personal data erased"}, clock_));
  json full = *TRY(load(*tx, id));
  TRY_STATUS(tx->commit());
  for (auto& f : ctx.after_commit) f();
  if (on_portal_revoked_) on_portal_revoked_(id);
  return apply_view(full, view_for(by, id));
}

Result<json> Service::export_data(const Actor& by, std::int64_t id) {
  if (by.role != Role::patron) TRY_STATUS(staff_may(by, auth::Permission::patron_export));
  auto tx = TRY(db_.begin(store::TxMode::write));
  json p = TRY(load_existing(*tx, id));
  TRY_STATUS(in_scope(by, p));
  json out;
  out["format"] = "dangan.patron-export/1";
  out["exported_at"] = format_time(clock_.now());
  out["patron"] = apply_view(p, by.role == Role::patron ? View::self : View::full);
  auto rel =
      TRY(tx->query("SELECT r.kind, r.role, r.related_id, q.name FROM patron_relations r "
                    "JOIN patrons q ON q.id = r.related_id WHERE r.patron_id = ?",
                    {id}));
  out["relations"] = json::array();
  for (auto& r : rel)
    out["relations"].push_back({{"kind", r.str(0)},
                                {"role", r.is_null(1) ? json() : json(r.str(1))},
                                {"patron_id", r.i64(2)},
                                {"name", r.str(3)}});
  out["timeline"] = json::array();
  std::optional<std::string> cursor;
  do {
    auto page = TRY(timeline::list(*tx, {id, {}, cursor, 500}));
    for (auto& e : page.items) out["timeline"].push_back(e);
    cursor = page.next_cursor;
  } while (cursor);
  // Who read or changed this patron's data (PIPL: the right to know).
  auto acc =
      TRY(tx->query("SELECT at, actor_role, action FROM audit_log WHERE patron_id = ? "
                    "ORDER BY seq",
                    {id}));
  out["access_log"] = json::array();
  for (auto& a : acc)
    out["access_log"].push_back({{"at", a.str(0)}, {"role", a.str(1)}, {"action", a.str(2)}});
  TRY_STATUS(audit::append(*tx, by, {"patron.export", "patron", std::to_string(id), id}, clock_));
  TRY(timeline::append(*tx, by, {id, "patron.exported", "personal data exported"}, clock_));
  TRY_STATUS(tx->commit());
  return out;
}

Result<json> Service::timeline(const Actor& by, std::int64_t id,
                               const std::vector<std::string>& kinds,
                               std::optional<std::string> cursor, int limit) {
  if (by.role != Role::patron) TRY_STATUS(staff_may(by, auth::Permission::patron_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  json p = TRY(load_existing(*tx, id));
  TRY_STATUS(in_scope(by, p));
  auto page = TRY(timeline::list(*tx, {id, kinds, cursor, limit}));
  if (view_for(by, id) != View::deidentified)
    reads_.record(by, {"patron.timeline_read", "patron", std::to_string(id), id});
  return json{{"items", page.items},
              {"next_cursor", page.next_cursor ? json(*page.next_cursor) : json()}};
}

}  // namespace dangan::patrons
