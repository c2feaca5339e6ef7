#include "patrons/fields.h"

#include <algorithm>
#include <map>
#include <set>

#include "patrons/validation.h"
#include "text/text.h"

namespace dangan::patrons::detail {
namespace {

using json = nlohmann::json;

bool one_of(std::string_view v, const auto& list) {
  return std::find(std::begin(list), std::end(list), v) != std::end(list);
}

std::string join(const auto& list) {
  std::string out;
  for (auto& v : list) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

Result<std::string> text_value(const json& v, std::string_view field, int max_chars) {
  if (!v.is_string()) return invalid(std::string(field), "must be a string");
  const auto& s = v.get_ref<const std::string&>();
  long n = text::utf8_length(s);
  if (n < 0) return invalid(std::string(field), "must be valid UTF-8");
  if (n > max_chars)
    return invalid(std::string(field),
                   "must have at most " + std::to_string(max_chars) + " characters");
  for (unsigned char c : s)
    if (c < 0x20 && c != '\n' && c != '\t')
      return invalid(std::string(field), "must not contain control characters");
  return s;
}

Result<std::vector<std::string>> string_list(const json& v, std::string_view field, int max_items,
                                             int max_chars) {
  if (!v.is_array()) return invalid(std::string(field), "must be an array of strings");
  if (static_cast<int>(v.size()) > max_items)
    return invalid(std::string(field), "must have at most " + std::to_string(max_items) + " items");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string name = std::string(field) + "[" + std::to_string(i) + "]";
    auto s = TRY(text_value(v[i], name, max_chars));
    if (s.empty()) return invalid(name, "must not be empty");
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  }
  return out;
}

Result<std::optional<std::int64_t>> id_value(const json& v, std::string_view field) {
  if (v.is_null()) return std::optional<std::int64_t>{};
  if (!v.is_number_integer() || v.get<std::int64_t>() <= 0)
    return invalid(std::string(field), "must be a positive integer or null");
  return std::optional<std::int64_t>{v.get<std::int64_t>()};
}

}  // namespace

const std::vector<Field>& fields() {
  using K = Kind;
  using P = Privacy;
  static const std::vector<Field> kFields = {
      {"name", K::text, 200, {}, P::identifier, true, false},
      {"name_latin", K::text, 200, {}, P::identifier, false, false},
      {"gender", K::enumeration, 0, {"male", "female", "other", "unknown"}, P::plain, false, false},
      {"birth_date", K::date, 0, {}, P::birth, false, false},
      {"region", K::text, 100, {}, P::plain, false, true},
      {"postcode", K::postcode, 6, {}, P::identifier, false, true},
      {"address", K::text, 500, {}, P::cut, false, true},
      {"household_registration", K::text, 100, {}, P::cut, false, false},
      {"education", K::text, 50, {}, P::plain, false, false},
      {"occupation", K::text, 100, {}, P::plain, false, false},
      {"organisation_name", K::text, 200, {}, P::plain, false, false},
      {"organisation_relation", K::text, 100, {}, P::plain, false, false},
      {"sector", K::text, 100, {}, P::plain, false, false},
      {"organisation_size",
       K::enumeration,
       0,
       {"micro", "small", "medium", "large"},
       P::plain,
       false,
       false},
      {"preferred_channel",
       K::enumeration,
       0,
       {"counter", "phone", "email", "web", "chat", "message_board", "im", "letter", "sms"},
       P::plain,
       false,
       true},
      {"preferred_language",
       K::enumeration,
       0,
       {"zh-Hans", "zh-Hant", "en"},
       P::plain,
       false,
       true},
      {"preferred_contact_times", K::text, 200, {}, P::plain, false, true},
      {"economic_status", K::text, 100, {}, P::sensitive, false, false},
      {"special_needs", K::text, 500, {}, P::identifier, false, true},
      {"staff_notes", K::text, 2000, {}, P::staff_only, false, false},
  };
  return kFields;
}

const Field* find_field(std::string_view name) {
  for (auto& f : fields())
    if (f.name == name) return &f;
  return nullptr;
}

Status validate_id_document(const std::string& type, const std::string& number) {
  if (!one_of(type, kIdDocTypes))
    return invalid("id_document.type", "must be one of " + join(kIdDocTypes));
  if (number.empty() || number.size() > 40)
    return invalid("id_document.number", "must have 1 to 40 characters");
  for (char c : number)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
      return invalid("id_document.number", "may contain only letters, digits and '-'");
  if (type == "resident_id" && !valid_resident_id(number))
    return invalid("id_document.number",
                   "not a valid resident ID number (18 characters, birth date, check digit)");
  if (type == "social_credit_code" && !valid_social_credit_code(number))
    return invalid("id_document.number", "not a valid unified social credit code");
  return {};
}

Result<Input> parse_input(const json& body, bool creating, bool self) {
  if (!body.is_object()) return invalid("", "the body must be a JSON object");
  Input in;
  static const std::set<std::string> kSelfOthers = {"phones", "emails", "consents"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (self && !kSelfOthers.count(key)) {
      const Field* f = find_field(key);
      if (!f || !f->self_editable)
        return fail(ErrorCode::forbidden, "you cannot change this field yourself; ask the staff",
                    key);
    }
    if (const Field* f = find_field(key)) {
      if (v.is_null()) {
        if (f->name == "name") return invalid("name", "is required");
        in.columns.emplace_back(key, store::null_value());
        continue;
      }
      std::string s;
      if (f->kind == Kind::text) {
        s = TRY(text_value(v, key, f->max_chars));
        if (f->name == "name" && s.find_first_not_of(" \t\n") == std::string::npos)
          return invalid("name", "must not be blank");
      } else {
        if (!v.is_string()) return invalid(key, "must be a string");
        s = v.get<std::string>();
        if (f->kind == Kind::enumeration && !one_of(s, f->values))
          return invalid(key, "must be one of " + join(f->values));
        if (f->kind == Kind::date && (!valid_date(s) || s < "1880-01-01"))
          return invalid(key, "must be a date YYYY-MM-DD");
        if (f->kind == Kind::postcode && !valid_postcode(s))
          return invalid(key, "must be 6 digits");
      }
      in.columns.emplace_back(key, s);
    } else if (key == "type") {
      if (!v.is_string() || (v != "person" && v != "organisation"))
        return invalid("type", "must be \"person\" or \"organisation\"");
      if (!creating) return invalid("type", "cannot be changed; create a new patron instead");
      in.type = v.get<std::string>();
    } else if (key == "id_document") {
      if (v.is_null()) {
        in.id_document = std::optional<std::pair<std::string, std::string>>{};
        continue;
      }
      if (!v.is_object()) return invalid("id_document", "must be an object {type, number}");
      for (auto m = v.begin(); m != v.end(); ++m)
        if (m.key() != "type" && m.key() != "number")
          return invalid("id_document." + m.key(), "unknown field");
      if (!v.contains("type") || !v["type"].is_string())
        return invalid("id_document.type", "is required");
      if (!v.contains("number") || !v["number"].is_string())
        return invalid("id_document.number", "is required");
      std::string type = v["type"], number = v["number"];
      if (type == "resident_id" || type == "social_credit_code")
        std::transform(number.begin(), number.end(), number.begin(), ::toupper);
      TRY_STATUS(validate_id_document(type, number));
      in.id_document = std::pair{type, number};
    } else if (key == "phones") {
      auto list = TRY(string_list(v, key, 10, 40));
      for (std::size_t i = 0; i < list.size(); ++i)
        if (!normalize_phone(list[i]))
          return invalid("phones[" + std::to_string(i) + "]", "not a valid phone number");
      in.phones = std::move(list);
    } else if (key == "emails") {
      auto list = TRY(string_list(v, key, 10, 254));
      for (std::size_t i = 0; i < list.size(); ++i)
        if (!normalize_email(list[i]))
          return invalid("emails[" + std::to_string(i) + "]", "not a valid e-mail address");
      in.emails = std::move(list);
    } else if (key == "tags") {
      in.tags = TRY(string_list(v, key, 50, 50));
    } else if (key == "interests") {
      in.interests = TRY(string_list(v, key, 50, 100));
    } else if (key == "consents") {
      if (!v.is_object()) return invalid("consents", "must be an object of booleans");
      std::vector<std::pair<std::string, bool>> c;
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!one_of(m.key(), kConsents))
          return invalid("consents." + m.key(), "unknown consent; use " + join(kConsents));
        bool given;
        if (m.value().is_boolean())
          given = m.value().get<bool>();
        else if (m.value().is_object() && m.value().contains("given") &&
                 m.value()["given"].is_boolean())
          given = m.value()["given"].get<bool>();
        else
          return invalid("consents." + m.key(), "must be true or false");
        c.emplace_back(m.key(), given);
      }
      in.consents = std::move(c);
    } else if (key == "organisation_id") {
      in.organisation_id = TRY(id_value(v, key));
    } else if (key == "unit_id") {
      in.unit_id = TRY(id_value(v, key));
    } else if (key == "reason") {
      in.reason = TRY(text_value(v, key, 500));
    } else if (key == "id" || key == "status" || key == "version" || key == "created_at" ||
               key == "updated_at" || key == "contacts" || key == "merged_into" ||
               key == "masked") {
      return invalid(key, "is read-only");
    } else {
      return invalid(key, "unknown field");
    }
  }
  if (creating) {
    if (!in.type) return invalid("type", "is required: \"person\" or \"organisation\"");
    bool has_name = std::any_of(in.columns.begin(), in.columns.end(),
                                [](auto& c) { return c.first == "name"; });
    if (!has_name) return invalid("name", "is required");
  }
  return in;
}

namespace {

std::string column_list() {
  std::string cols =
      "id, type, status, merged_into, id_doc_type, id_doc_number, organisation_id, interests, "
      "consent_contact, consent_contact_at, consent_marketing, consent_marketing_at, "
      "consent_processing, consent_processing_at, unit_id, version, created_at, updated_at";
  for (auto& f : fields()) cols += ", " + std::string(f.name);
  return cols;
}

json opt_json(const store::Row& r, std::size_t i) {
  if (r.is_null(i)) return nullptr;
  if (std::holds_alternative<std::int64_t>(r.cols[i])) return r.i64(i);
  return r.str(i);
}

}  // namespace

namespace {

json row_to_patron(const store::Row& r) {
  json p;
  p["id"] = r.i64(0);
  p["type"] = r.str(1);
  p["status"] = r.str(2);
  p["merged_into"] = opt_json(r, 3);
  if (r.is_null(5))
    p["id_document"] = nullptr;
  else
    p["id_document"] = {{"type", r.str(4)}, {"number", r.str(5)}};
  p["organisation_id"] = opt_json(r, 6);
  json interests = json::parse(r.str(7), nullptr, false);
  p["interests"] = interests.is_array() ? interests : json::array();
  p["consents"] = json::object();
  for (int i = 0; i < 3; ++i)
    p["consents"][std::string(kConsents[i])] = {{"given", r.i64(8 + 2 * i) != 0},
                                                {"at", opt_json(r, 9 + 2 * i)}};
  p["unit_id"] = opt_json(r, 14);
  p["version"] = r.i64(15);
  p["created_at"] = r.str(16);
  p["updated_at"] = r.str(17);
  std::size_t i = 18;
  for (auto& f : fields()) p[std::string(f.name)] = opt_json(r, i++);
  p["phones"] = json::array();
  p["emails"] = json::array();
  p["contacts"] = json::array();
  p["tags"] = json::array();
  return p;
}

std::string placeholders(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
  return s;
}

}  // namespace

Result<std::optional<json>> load(store::Tx& tx, std::int64_t id) {
  auto many = TRY(load_many(tx, {id}));
  if (many.empty()) return std::optional<json>{};
  return std::optional<json>{std::move(many.front())};
}

Result<std::vector<json>> load_many(store::Tx& tx, const std::vector<std::int64_t>& ids) {
  std::vector<json> out;
  if (ids.empty()) return out;
  // Three queries for any number of patrons: rows, contacts, tags.
  store::Params params(ids.begin(), ids.end());
  std::string in = "(" + placeholders(ids.size()) + ")";
  auto rows = TRY(tx.query("SELECT " + column_list() + " FROM patrons WHERE id IN " + in, params));
  std::map<std::int64_t, json> by_id;
  for (auto& r : rows) by_id.emplace(r.i64(0), row_to_patron(r));
  auto contacts = TRY(
      tx.query("SELECT patron_id, id, kind, value, valid, invalid_reason, last_verified_at FROM "
               "patron_contacts WHERE patron_id IN " +
                   in + " ORDER BY patron_id, kind, position, id",
               params));
  for (auto& c : contacts) {
    json& p = by_id[c.i64(0)];
    p[c.str(2) == "phone" ? "phones" : "emails"].push_back(c.str(3));
    p["contacts"].push_back({{"id", c.i64(1)},
                             {"kind", c.str(2)},
                             {"value", c.str(3)},
                             {"valid", c.i64(4) != 0},
                             {"invalid_reason", opt_json(c, 5)},
                             {"last_verified_at", opt_json(c, 6)}});
  }
  auto tags = TRY(tx.query("SELECT patron_id, tag FROM patron_tags WHERE patron_id IN " + in +
                               " ORDER BY patron_id, tag",
                           params));
  for (auto& t : tags) by_id[t.i64(0)]["tags"].push_back(t.str(1));
  for (auto id : ids)
    if (auto it = by_id.find(id); it != by_id.end() && it->second.contains("id"))
      out.push_back(std::move(it->second));
  return out;
}

json apply_view(const json& full, View view) {
  json out = full;
  json masked = json::array();
  if (view == View::full) {
    out["masked"] = masked;
    return out;
  }
  bool person = full.value("type", "") == "person";
  auto hide = [&](const std::string& name) {
    if (!out.contains(name) || out[name].is_null()) return;
    out[name] = nullptr;
    masked.push_back(name);
  };
  if (view == View::self) {
    out.erase("staff_notes");
    out["masked"] = masked;
    return out;
  }
  for (auto& f : fields()) {
    std::string name(f.name);
    if (out[name].is_null()) continue;
    switch (f.privacy) {
      case Privacy::plain:
        break;
      case Privacy::identifier:
        if (view == View::deidentified && (person || name == "postcode")) hide(name);
        break;
      case Privacy::cut:
        if (view == View::deidentified)
          hide(name);
        else {
          out[name] = mask_text(out[name].get<std::string>(), 6);
          masked.push_back(name);
        }
        break;
      case Privacy::birth:
        out[name] = out[name].get<std::string>().substr(0, 4) + "-**-**";
        masked.push_back(name);
        break;
      case Privacy::sensitive:
        hide(name);
        break;
      case Privacy::staff_only:
        if (view == View::deidentified) hide(name);
        break;
    }
  }
  if (view == View::deidentified) {
    for (auto* k : {"phones", "emails"}) {
      if (!out[k].empty()) masked.push_back(k);
      out[k] = json::array();
    }
    out["contacts"] = json::array();
    if (!out["id_document"].is_null()) {
      out["id_document"] = nullptr;
      masked.push_back("id_document");
    }
  } else {
    for (auto& p : out["phones"]) p = mask_phone(p.get<std::string>());
    for (auto& e : out["emails"]) e = mask_email(e.get<std::string>());
    for (auto& c : out["contacts"])
      c["value"] = c["kind"] == "phone" ? mask_phone(c["value"].get<std::string>())
                                        : mask_email(c["value"].get<std::string>());
    if (!out["phones"].empty()) masked.push_back("phones");
    if (!out["emails"].empty()) masked.push_back("emails");
    if (!out["id_document"].is_null()) {
      out["id_document"]["number"] =
          mask_id_number(out["id_document"]["number"].get<std::string>());
      masked.push_back("id_document");
    }
  }
  out["masked"] = masked;
  return out;
}

std::vector<std::string> disclosed(const json& full, View view) {
  std::vector<std::string> out;
  if (view == View::deidentified || view == View::none) return out;
  for (auto* k : {"name", "name_latin", "birth_date", "address", "postcode",
                  "household_registration", "economic_status", "special_needs"})
    if (full.contains(k) && !full[k].is_null()) out.emplace_back(k);
  if (!full["phones"].empty()) out.emplace_back("phones");
  if (!full["emails"].empty()) out.emplace_back("emails");
  if (!full["id_document"].is_null()) out.emplace_back("id_document");
  return out;
}

std::string name_key(const std::string& name) {
  std::string folded = text::fold(name), key;
  for (char c : text::pinyin(folded))
    if (c != ' ') key.push_back(c);
  return key;
}

Status refresh_keys(store::Tx& tx, const json& p) {
  bool erased = p["status"] == "erased";
  TRY(tx.exec("UPDATE patrons SET search_text = ?, name_key = ? WHERE id = ?",
              {erased ? std::string() : search_text(p),
               erased ? store::null_value() : store::Value(name_key(p.value("name", ""))),
               p["id"].get<std::int64_t>()}));
  return {};
}

std::string search_text(const json& p) {
  std::string s = text::match_key(p.value("name", ""));
  auto add = [&](const char* k) {
    if (p.contains(k) && p[k].is_string()) s += "|" + text::match_key(p[k].get<std::string>());
  };
  add("name_latin");
  add("organisation_name");
  return s;
}

}  // namespace dangan::patrons::detail
