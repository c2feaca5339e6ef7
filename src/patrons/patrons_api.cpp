#include "patrons/patrons_api.h"

namespace dangan::patrons {

using json = nlohmann::json;
using http::reply;
using http::Request;
using http::Response;

namespace {

Result<std::string> reason_of(const json& body) {
  if (!body.contains("reason") || !body["reason"].is_string())
    return invalid("reason", "is required: say why");
  return body["reason"].get<std::string>();
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

}  // namespace

void register_routes(http::Api& api, Service& s) {
  api.secured("GET", "/api/v1/patrons", [&s](Request& r, const Actor& a) {
    if (auto ok = http::only_params(r, {"q", "type", "region", "tag", "status", "organisation_id",
                                        "unit_id", "sort", "cursor", "limit"});
        !ok)
      return reply(ok.error(), r);
    ListQuery q;
    q.q = r.param("q").value_or("");
    q.type = r.param("type");
    q.region = r.param("region");
    q.tag = r.param("tag");
    q.status = r.param("status");
    q.sort = r.param("sort").value_or("id");
    q.cursor = r.param("cursor");
    if (q.cursor && q.cursor->empty()) q.cursor.reset();
    for (auto* o : {&q.type, &q.region, &q.tag, &q.status})
      if (*o && (*o)->empty()) o->reset();
    auto limit = http::limit_param(r);
    if (!limit) return reply(limit.error(), r);
    q.limit = *limit;
    auto org = http::int_param(r, "organisation_id");
    if (!org) return reply(org.error(), r);
    q.organisation_id = *org;
    auto unit = http::int_param(r, "unit_id");
    if (!unit) return reply(unit.error(), r);
    q.unit_id = *unit;
    return reply(s.list(a, q), r);
  });

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
  api.secured("GET", "/api/v1/patrons/duplicates", [&s](Request& r, const Actor& a) {
    if (auto ok = http::only_params(r, {"name", "phone", "email", "id_number", "id_type",
                                        "organisation_id", "organisation_name"});
        !ok)
      return reply(ok.error(), r);
    json probe = json::object();
    for (auto* k : {"name", "phone", "email", "id_number", "id_type", "organisation_name"})
      if (auto v = r.param(k); v && !v->empty()) probe[k] = *v;
    auto org = http::int_param(r, "organisation_id");
    if (!org) return reply(org.error(), r);
    if (*org) probe["organisation_id"] = **org;
    return reply(s.duplicates(a, probe), r);
  });

  api.secured("GET", "/api/v1/patrons/{id}", [&s](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    auto p = s.get(a, *id);
    return with_etag(reply(p, r), p);
  });

  api.secured("PATCH", "/api/v1/patrons/{id}", [&s](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    auto body = http::json_body(r);
    if (!body) return reply(body.error(), r);
    auto version = if_match(r);
    if (!version) return reply(version.error(), r);
    auto p = s.update(a, *id, *body, *version);
    return with_etag(reply(p, r), p);
  });

  api.secured("GET", "/api/v1/patrons/{id}/timeline", [&s](Request& r, const Actor& a) {
    if (auto ok = http::only_params(r, {"kind", "cursor", "limit"}); !ok)
      return reply(ok.error(), r);
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    auto limit = http::limit_param(r);
    if (!limit) return reply(limit.error(), r);
    std::vector<std::string> kinds;
    if (auto k = r.param("kind"); k && !k->empty()) {
      std::size_t start = 0;
      while (start <= k->size()) {
        auto comma = k->find(',', start);
        std::string part =
            k->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!part.empty()) kinds.push_back(part);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    auto cursor = r.param("cursor");
    if (cursor && cursor->empty()) cursor.reset();
    return reply(s.timeline(a, *id, kinds, cursor, *limit), r);
  });

  api.secured("POST", "/api/v1/patrons/{id}/reveal", [&s](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    auto body = http::json_body(r);
    if (!body) return reply(body.error(), r);
    for (auto it = body->begin(); it != body->end(); ++it)
      if (it.key() != "fields" && it.key() != "reason")
        return reply(Error{ErrorCode::invalid, "unknown field", it.key()}, r);
    if (!body->contains("fields") || !(*body)["fields"].is_array())
      return reply(
          Error{ErrorCode::invalid, "name the fields to reveal, e.g. [\"phones\"]", "fields"}, r);
    std::vector<std::string> fields;
    for (auto& f : (*body)["fields"]) {
      if (!f.is_string())
        return reply(Error{ErrorCode::invalid, "field names are strings", "fields"}, r);
      fields.push_back(f.get<std::string>());
    }
    auto reason = reason_of(*body);
    if (!reason) return reply(reason.error(), r);
    return reply(s.reveal(a, *id, fields, *reason), r);
  });

  api.secured("POST", "/api/v1/patrons/{id}/merge", [&s](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    auto body = http::json_body(r);
    if (!body) return reply(body.error(), r);
    for (auto it = body->begin(); it != body->end(); ++it)
      if (it.key() != "from" && it.key() != "reason")
        return reply(Error{ErrorCode::invalid, "unknown field", it.key()}, r);
    if (!body->contains("from") || !(*body)["from"].is_number_integer())
      return reply(Error{ErrorCode::invalid, "the id of the patron to merge into this one", "from"},
                   r);
    auto reason = reason_of(*body);
    if (!reason) return reply(reason.error(), r);
    return reply(s.merge(a, *id, (*body)["from"].get<std::int64_t>(), *reason), r);
  });

  api.secured("POST", "/api/v1/patrons/{id}/erase", [&s](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    auto body = http::json_body(r);
    if (!body) return reply(body.error(), r);
    for (auto it = body->begin(); it != body->end(); ++it)
      if (it.key() != "reason")
        return reply(Error{ErrorCode::invalid, "unknown field", it.key()}, r);
    auto reason = reason_of(*body);
    if (!reason) return reply(reason.error(), r);
    return reply(s.erase(a, *id, *reason), r);
  });

  api.secured("GET", "/api/v1/patrons/{id}/export", [&s](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    Response resp = reply(s.export_data(a, *id), r);
    if (resp.status == 200)
      resp.set_header("Content-Disposition",
                      "attachment; filename=\"patron-" + std::to_string(*id) + ".json\"");
    return resp;
  });

  api.secured("GET", "/api/v1/patrons/{id}/relations", [&s](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    return reply(s.relations(a, *id), r);
  });
  api.secured("POST", "/api/v1/patrons/{id}/relations", [&s](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    auto body = http::json_body(r);
    if (!body) return reply(body.error(), r);
    return reply(s.add_relation(a, *id, *body), r, 201);
  });
  api.secured("DELETE", "/api/v1/patrons/{id}/relations/{relation_id}",
              [&s](Request& r, const Actor& a) {
                auto id = http::id_path(r);
                if (!id) return reply(id.error(), r);
                auto rid = http::id_path(r, "relation_id");
                if (!rid) return reply(rid.error(), r);
                return reply(s.remove_relation(a, *id, *rid), r);
              });

  for (auto [verb, valid] : {std::pair{"verify", true}, std::pair{"invalidate", false}}) {
    api.secured("POST", std::string("/api/v1/patrons/{id}/contacts/{contact_id}/") + verb,
                [&s, valid](Request& r, const Actor& a) {
                  auto id = http::id_path(r);
                  if (!id) return reply(id.error(), r);
                  auto cid = http::id_path(r, "contact_id");
                  if (!cid) return reply(cid.error(), r);
                  std::string reason;
                  if (!r.body.empty()) {
                    auto body = http::json_body(r);
                    if (!body) return reply(body.error(), r);
                    for (auto it = body->begin(); it != body->end(); ++it)
                      if (it.key() != "reason")
                        return reply(Error{ErrorCode::invalid, "unknown field", it.key()}, r);
                    if (body->contains("reason")) {
                      if (!(*body)["reason"].is_string())
                        return reply(Error{ErrorCode::invalid, "must be a string", "reason"}, r);
                      reason = (*body)["reason"];
                    }
                  }
                  return reply(s.set_contact_validity(a, *id, *cid, valid, reason), r);
                });
  }

  api.secured("GET", "/api/v1/key-changes", [&s](Request& r, const Actor& a) {
    if (auto ok = http::only_params(r, {"patron_id", "status"}); !ok) return reply(ok.error(), r);
    auto pid = http::int_param(r, "patron_id");
    if (!pid) return reply(pid.error(), r);
    auto status = r.param("status");
    if (status && status->empty()) status.reset();
    return reply(s.key_changes(a, *pid, status), r);
  });
  for (auto [verb, approve] : {std::pair{"approve", true}, std::pair{"reject", false}}) {
    api.secured("POST", std::string("/api/v1/key-changes/{id}/") + verb,
                [&s, approve](Request& r, const Actor& a) {
                  auto id = http::id_path(r);
                  if (!id) return reply(id.error(), r);
                  std::string note;
                  if (!r.body.empty()) {
                    auto body = http::json_body(r);
                    if (!body) return reply(body.error(), r);
                    for (auto it = body->begin(); it != body->end(); ++it)
                      if (it.key() != "note")
                        return reply(Error{ErrorCode::invalid, "unknown field", it.key()}, r);
                    if (body->contains("note")) {
                      if (!(*body)["note"].is_string())
                        return reply(Error{ErrorCode::invalid, "must be a string", "note"}, r);
                      note = (*body)["note"];
                    }
                  }
                  return reply(s.decide_key_change(a, *id, approve, note), r);
                });
  }

  api.secured("GET", "/api/v1/contacts/due-for-verification", [&s](Request& r, const Actor& a) {
    if (auto ok = http::only_params(r, {"days", "cursor", "limit"}); !ok)
      return reply(ok.error(), r);
    auto days = http::int_param(r, "days");
    if (!days) return reply(days.error(), r);
    if (*days && (**days < 1 || **days > 3650))
      return reply(Error{ErrorCode::invalid, "must be 1 to 3650", "days"}, r);
    auto cursor = http::int_param(r, "cursor");
    if (!cursor) return reply(cursor.error(), r);
    auto limit = http::limit_param(r);
    if (!limit) return reply(limit.error(), r);
    return reply(s.contacts_due(a, static_cast<int>(days->value_or(365)), *cursor, *limit), r);
  });

  api.secured("GET", "/api/v1/reports/data-quality",
              [&s](Request& r, const Actor& a) { return reply(s.data_quality(a), r); });
}

}  // namespace dangan::patrons
