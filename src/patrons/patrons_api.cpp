#include "patrons/patrons_api.h"

namespace dangan::patrons {

using json = nlohmann::json;
using http::reply;
using http::Request;
using http::Response;

namespace {

Result<std::string> reason_of(const json& body) {
  auto reason = TRY(http::string_field(body, "reason", true));
  return reason;
}

Result<std::optional<std::int64_t>> if_match(const Request& r) {
  auto h = r.header("If-Match");
  if (!h) return std::optional<std::int64_t>{};
  std::string v = *h;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n <= 0)
    return invalid("If-Match", "must be the patron's version");
  return std::optional<std::int64_t>{n};
}

Response with_etag(Response resp, const Result<json>& p) {
  if (p && p->contains("version"))
    resp.set_header("ETag", "\"" + std::to_string((*p)["version"].get<std::int64_t>()) + "\"");
  return resp;
}

// "a,b,,c" → {"a", "b", "c"}
std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    std::string part =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Result<json> list(Service& s, const Request& r, const Actor& a) {
  TRY_STATUS(http::only_params(r, {"q", "type", "region", "tag", "status", "organisation_id",
                                   "unit_id", "sort", "cursor", "limit"}));
  ListQuery q;
  q.q = r.param("q").value_or("");
  q.type = http::text_param(r, "type");
  q.region = http::text_param(r, "region");
  q.tag = http::text_param(r, "tag");
  q.status = http::text_param(r, "status");
  q.sort = http::text_param(r, "sort").value_or("id");
  q.cursor = TRY(http::cursor_param(r));
  q.limit = TRY(http::limit_param(r));
  q.organisation_id = TRY(http::int_param(r, "organisation_id"));
  q.unit_id = TRY(http::int_param(r, "unit_id"));
  return s.list(a, q);
}

Result<json> duplicates(Service& s, const Request& r, const Actor& a) {
  TRY_STATUS(http::only_params(r, {"name", "phone", "email", "id_number", "id_type",
                                   "organisation_id", "organisation_name"}));
  json probe = json::object();
  for (auto* k : {"name", "phone", "email", "id_number", "id_type", "organisation_name"})
    if (auto v = http::text_param(r, k)) probe[k] = *v;
  if (auto org = TRY(http::int_param(r, "organisation_id"))) probe["organisation_id"] = *org;
  return s.duplicates(a, probe);
}

Result<json> update(Service& s, const Request& r, const Actor& a) {
  auto id = TRY(http::id_path(r));
  auto body = TRY(http::json_body(r));
  auto version = TRY(if_match(r));
  return s.update(a, id, body, version);
}

Result<json> timeline(Service& s, const Request& r, const Actor& a) {
  TRY_STATUS(http::only_params(r, {"kind", "cursor", "limit"}));
  auto id = TRY(http::id_path(r));
  int limit = TRY(http::limit_param(r));
  auto kinds = split_list(r.param("kind").value_or(""));
  return s.timeline(a, id, kinds, TRY(http::cursor_param(r)), limit);
}

Result<json> reveal(Service& s, const Request& r, const Actor& a) {
  auto id = TRY(http::id_path(r));
  auto body = TRY(http::json_body(r));
  TRY_STATUS(http::only_fields(body, {"fields", "reason"}));
  if (!body.contains("fields") || !body["fields"].is_array())
    return invalid("fields", "name the fields to reveal, e.g. [\"phones\"]");
  std::vector<std::string> fields;
  for (auto& f : body["fields"]) {
    if (!f.is_string()) return invalid("fields", "field names are strings");
    fields.push_back(f.get<std::string>());
  }
  return s.reveal(a, id, fields, TRY(reason_of(body)));
}

Result<json> merge(Service& s, const Request& r, const Actor& a) {
  auto id = TRY(http::id_path(r));
  auto body = TRY(http::json_body(r));
  TRY_STATUS(http::only_fields(body, {"from", "reason"}));
  if (!body.contains("from") || !body["from"].is_number_integer())
    return invalid("from", "the id of the patron to merge into this one");
  return s.merge(a, id, body["from"].get<std::int64_t>(), TRY(reason_of(body)));
}

Result<json> erase(Service& s, const Request& r, const Actor& a) {
  auto id = TRY(http::id_path(r));
  auto body = TRY(http::json_body(r));
  TRY_STATUS(http::only_fields(body, {"reason"}));
  return s.erase(a, id, TRY(reason_of(body)));
}

Result<json> add_relation(Service& s, const Request& r, const Actor& a) {
  auto id = TRY(http::id_path(r));
  return s.add_relation(a, id, TRY(http::json_body(r)));
}

Result<json> contact_validity(Service& s, const Request& r, const Actor& a, bool valid) {
  auto id = TRY(http::id_path(r));
  auto contact = TRY(http::id_path(r, "contact_id"));
  auto body = TRY(http::optional_json_body(r));
  TRY_STATUS(http::only_fields(body, {"reason"}));
  return s.set_contact_validity(a, id, contact, valid,
                                TRY(http::string_field(body, "reason", false)));
}

Result<json> key_changes(Service& s, const Request& r, const Actor& a) {
  TRY_STATUS(http::only_params(r, {"patron_id", "status"}));
  return s.key_changes(a, TRY(http::int_param(r, "patron_id")), http::text_param(r, "status"));
}

Result<json> decide(Service& s, const Request& r, const Actor& a, bool approve) {
  auto id = TRY(http::id_path(r));
  auto body = TRY(http::optional_json_body(r));
  TRY_STATUS(http::only_fields(body, {"note"}));
  return s.decide_key_change(a, id, approve, TRY(http::string_field(body, "note", false)));
}

Result<json> contacts_due(Service& s, const Request& r, const Actor& a) {
  TRY_STATUS(http::only_params(r, {"days", "cursor", "limit"}));
  auto days = TRY(http::int_param(r, "days")).value_or(365);
  if (days < 1 || days > 3650) return invalid("days", "must be 1 to 3650");
  return s.contacts_due(a, static_cast<int>(days), TRY(http::id_cursor_param(r)),
                        TRY(http::limit_param(r)));
}

}  // namespace

void register_routes(http::Api& api, Service& s) {
  using std::placeholders::_1;
  using std::placeholders::_2;
  auto bind = [&s](auto fn) { return std::bind(fn, std::ref(s), _1, _2); };

  api.secured_json("GET", "/api/v1/patrons", bind(list));

  api.secured("POST", "/api/v1/patrons", [&s](Request& r, const Actor& a) {
    auto body = http::json_body(r);
    if (!body) return reply(body.error(), r);
    auto created = s.create(a, *body);
    if (!created) return reply(created.error(), r);
    json out = created->patron;
    out["duplicate_candidates"] = created->duplicate_candidates;
    Response resp = Response::json(201, out);
    resp.set_header("Location", "/api/v1/patrons/" + std::to_string(out["id"].get<std::int64_t>()));
    return resp;
  });

  // Before /{id}: literal segments win over captures.
  api.secured_json("GET", "/api/v1/patrons/duplicates", bind(duplicates));

  api.secured("GET", "/api/v1/patrons/{id}", [&s](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    auto p = s.get(a, *id);
    return with_etag(reply(p, r), p);
  });
  api.secured("PATCH", "/api/v1/patrons/{id}", [&s](Request& r, const Actor& a) {
    auto p = update(s, r, a);
    return with_etag(reply(p, r), p);
  });

  api.secured_json("GET", "/api/v1/patrons/{id}/timeline", bind(timeline));
  api.secured_json("POST", "/api/v1/patrons/{id}/reveal", bind(reveal));
  api.secured_json("POST", "/api/v1/patrons/{id}/merge", bind(merge));
  api.secured_json("POST", "/api/v1/patrons/{id}/erase", bind(erase));

  api.secured("GET", "/api/v1/patrons/{id}/export", [&s](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    Response resp = reply(s.export_data(a, *id), r);
    if (resp.status == 200)
      resp.set_header("Content-Disposition",
                      "attachment; filename=\"patron-" + std::to_string(*id) + ".json\"");
    return resp;
  });

  api.secured_json("GET", "/api/v1/patrons/{id}/relations",
                   [&s](Request& r, const Actor& a) -> Result<json> {
                     return s.relations(a, TRY(http::id_path(r)));
                   });
  api.secured_json("POST", "/api/v1/patrons/{id}/relations", bind(add_relation), 201);
  api.secured("DELETE", "/api/v1/patrons/{id}/relations/{relation_id}",
              [&s](Request& r, const Actor& a) {
                auto removed = [&]() -> Status {
                  auto id = TRY(http::id_path(r));
                  return s.remove_relation(a, id, TRY(http::id_path(r, "relation_id")));
                }();
                return reply(removed, r);
              });

  for (auto [verb, valid] : {std::pair{"verify", true}, std::pair{"invalidate", false}})
    api.secured_json(
        "POST", std::string("/api/v1/patrons/{id}/contacts/{contact_id}/") + verb,
        [&s, valid](Request& r, const Actor& a) { return contact_validity(s, r, a, valid); });

  api.secured_json("GET", "/api/v1/key-changes", bind(key_changes));
  for (auto [verb, approve] : {std::pair{"approve", true}, std::pair{"reject", false}})
    api.secured_json(
        "POST", std::string("/api/v1/key-changes/{id}/") + verb,
        [&s, approve](Request& r, const Actor& a) { return decide(s, r, a, approve); });

  api.secured_json("GET", "/api/v1/contacts/due-for-verification", bind(contacts_due));
  api.secured_json("GET", "/api/v1/reports/data-quality",
                   [&s](Request&, const Actor& a) { return s.data_quality(a); });
}

}  // namespace dangan::patrons
