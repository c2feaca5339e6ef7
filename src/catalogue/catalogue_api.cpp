#include "catalogue/catalogue_api.h"

namespace dangan::catalogue {

using json = nlohmann::json;
using http::reply;
using http::Request;
using http::Response;

namespace {

Result<std::optional<std::int64_t>> if_match(const Request& r) {
  auto h = r.header("If-Match");
  if (!h) return std::optional<std::int64_t>{};
  std::string v = *h;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n <= 0) return invalid("If-Match", "must be the record's version");
  return std::optional<std::int64_t>{n};
}

Response with_etag(Response resp, const Result<json>& rec) {
  if (rec && rec->contains("version"))
    resp.set_header("ETag", "\"" + std::to_string((*rec)["version"].get<std::int64_t>()) + "\"");
  return resp;
}

Result<std::optional<int>> year_param(const Request& r, const std::string& name) {
  auto v = TRY(http::int_param(r, name));
  if (!v) return std::optional<int>{};
  if (*v < 1000 || *v > 9999) return invalid(name, name + " must be a year from 1000 to 9999");
  return std::optional<int>{static_cast<int>(*v)};
}

Result<json> list_records(Service& s, const Request& r, const Actor& a) {
  TRY_STATUS(http::only_params(r, {"fonds_id", "category_id", "patron_id", "location_id",
                                   "year_from", "year_to", "access_level", "status", "carrier",
                                   "reference_code", "sort", "cursor", "limit"}));
  RecordQuery q;
  q.fonds_id = TRY(http::int_param(r, "fonds_id"));
  q.category_id = TRY(http::int_param(r, "category_id"));
  q.patron_id = TRY(http::int_param(r, "patron_id"));
  q.location_id = TRY(http::int_param(r, "location_id"));
  q.year_from = TRY(year_param(r, "year_from"));
  q.year_to = TRY(year_param(r, "year_to"));
  q.access_level = http::text_param(r, "access_level");
  q.status = http::text_param(r, "status");
  q.carrier = http::text_param(r, "carrier");
  q.reference_code_prefix = http::text_param(r, "reference_code");
  q.sort = http::text_param(r, "sort").value_or("id");
  q.cursor = TRY(http::cursor_param(r));
  q.limit = TRY(http::limit_param(r));
  return s.list_records(a, q);
}

Result<std::string> reason_of(const json& body) {
  return http::string_field(body, "reason", true);
}

}  // namespace

void register_routes(http::Api& api, Service& s) {
  // Fonds, categories, retention periods, schemes.
  api.secured_json("GET", "/api/v1/fonds", [&s](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return s.list_fonds(a);
  });
  api.secured_json(
      "POST", "/api/v1/fonds",
      [&s](Request& r, const Actor& a) -> Result<json> { return s.create_fonds(a, TRY(http::json_body(r))); },
      201);
  api.secured_json("PATCH", "/api/v1/fonds/{id}", [&s](Request& r, const Actor& a) -> Result<json> {
    auto id = TRY(http::id_path(r));
    return s.update_fonds(a, id, TRY(http::json_body(r)));
  });
  api.secured_json("GET", "/api/v1/categories", [&s](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return s.list_categories(a);
  });
  api.secured_json(
      "POST", "/api/v1/categories",
      [&s](Request& r, const Actor& a) -> Result<json> {
        return s.create_category(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("PATCH", "/api/v1/categories/{id}", [&s](Request& r, const Actor& a) -> Result<json> {
    auto id = TRY(http::id_path(r));
    return s.update_category(a, id, TRY(http::json_body(r)));
  });
  api.secured_json("GET", "/api/v1/retention-periods", [&s](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return s.list_retention_periods(a);
  });
  api.secured_json("PUT", "/api/v1/retention-periods/{code}",
                   [&s](Request& r, const Actor& a) -> Result<json> {
                     return s.put_retention_period(a, r.path_params.at("code"), TRY(http::json_body(r)));
                   });
  api.secured_json("GET", "/api/v1/reference-schemes", [&s](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return s.list_schemes(a);
  });
  api.secured_json(
      "POST", "/api/v1/reference-schemes",
      [&s](Request& r, const Actor& a) -> Result<json> {
        return s.create_scheme(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("POST", "/api/v1/reference-schemes/preview",
                   [&s](Request& r, const Actor& a) -> Result<json> {
                     return s.preview_code(a, TRY(http::json_body(r)));
                   });
  api.secured_json("PATCH", "/api/v1/reference-schemes/{id}",
                   [&s](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return s.update_scheme(a, id, TRY(http::json_body(r)));
                   });

  // Records.
  api.secured_json("GET", "/api/v1/records", [&s](Request& r, const Actor& a) {
    return list_records(s, r, a);
  });
  api.secured("POST", "/api/v1/records", [&s](Request& r, const Actor& a) {
    auto body = http::json_body(r);
    if (!body) return reply(body.error(), r);
    auto rec = s.create_record(a, *body);
    Response resp = with_etag(reply(rec, r, 201), rec);
    if (rec) resp.set_header("Location", "/api/v1/records/" + std::to_string((*rec)["id"].get<std::int64_t>()));
    return resp;
  });
  api.secured_json("GET", "/api/v1/records/by-code/{code}",
                   [&s](Request& r, const Actor& a) -> Result<json> {
                     return s.get_record_by_code(a, r.path_params.at("code"));
                   });
  api.secured("GET", "/api/v1/records/{id}", [&s](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    auto rec = s.get_record(a, *id);
    return with_etag(reply(rec, r), rec);
  });
  api.secured("PATCH", "/api/v1/records/{id}", [&s](Request& r, const Actor& a) {
    auto rec = [&]() -> Result<json> {
      auto id = TRY(http::id_path(r));
      auto body = TRY(http::json_body(r));
      auto version = TRY(if_match(r));
      return s.update_record(a, id, body, version);
    }();
    return with_etag(reply(rec, r), rec);
  });
  api.secured_json("POST", "/api/v1/records/{id}/close", [&s](Request& r, const Actor& a) -> Result<json> {
    auto id = TRY(http::id_path(r));
    auto body = TRY(http::json_body(r));
    TRY_STATUS(http::only_fields(body, {"reason"}));
    return s.close_record(a, id, TRY(reason_of(body)));
  });
  api.secured_json("POST", "/api/v1/records/{id}/legal-hold",
                   [&s](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     auto body = TRY(http::json_body(r));
                     TRY_STATUS(http::only_fields(body, {"hold", "reason"}));
                     if (!body.contains("hold") || !body["hold"].is_boolean())
                       return invalid("hold", "hold must be true or false");
                     return s.set_legal_hold(a, id, body["hold"].get<bool>(), TRY(reason_of(body)));
                   });
  api.secured_json(
      "POST", "/api/v1/records/{id}/relations",
      [&s](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        return s.add_relation(a, id, TRY(http::json_body(r)));
      },
      201);
  api.secured("DELETE", "/api/v1/records/{id}/relations/{relation_id}", [&s](Request& r, const Actor& a) {
    auto removed = [&]() -> Status {
      auto id = TRY(http::id_path(r));
      return s.remove_relation(a, id, TRY(http::id_path(r, "relation_id")));
    }();
    return reply(removed, r);
  });
  api.secured_json("POST", "/api/v1/records/{id}/move", [&s](Request& r, const Actor& a) -> Result<json> {
    auto id = TRY(http::id_path(r));
    auto body = TRY(http::json_body(r));
    TRY_STATUS(http::only_fields(body, {"location_id", "reason"}));
    if (!body.contains("location_id") || !body["location_id"].is_number_integer())
      return invalid("location_id", "location_id is required");
    auto reason = TRY(http::string_field(body, "reason", false));
    return s.move_record(a, id, body["location_id"].get<std::int64_t>(), reason);
  });
  api.secured_json("GET", "/api/v1/records/{id}/moves", [&s](Request& r, const Actor& a) -> Result<json> {
    return s.record_moves(a, TRY(http::id_path(r)));
  });

  // Locations.
  api.secured_json("GET", "/api/v1/locations", [&s](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"parent_id"}));
    return s.list_locations(a, TRY(http::int_param(r, "parent_id")));
  });
  api.secured_json(
      "POST", "/api/v1/locations",
      [&s](Request& r, const Actor& a) -> Result<json> {
        return s.create_location(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("GET", "/api/v1/locations/vacant", [&s](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"under", "needed"}));
    auto needed = TRY(http::int_param(r, "needed")).value_or(1);
    if (needed < 1 || needed > 100000) return invalid("needed", "needed must be 1 to 100000");
    return s.vacant_locations(a, TRY(http::int_param(r, "under")), static_cast<int>(needed));
  });

  // Appraisal and disposal.
  api.secured_json("GET", "/api/v1/appraisal/due", [&s](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"as_of", "cursor", "limit"}));
    return s.appraisal_due(a, http::text_param(r, "as_of"), TRY(http::cursor_param(r)),
                           TRY(http::limit_param(r)));
  });
  api.secured_json("GET", "/api/v1/appraisals", [&s](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"status", "cursor", "limit"}));
    return s.list_appraisals(a, http::text_param(r, "status"), TRY(http::cursor_param(r)),
                             TRY(http::limit_param(r)));
  });
  api.secured_json(
      "POST", "/api/v1/records/{id}/appraisals",
      [&s](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        return s.propose_appraisal(a, id, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("POST", "/api/v1/appraisals/{id}/decision",
                   [&s](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     auto body = TRY(http::json_body(r));
                     TRY_STATUS(http::only_fields(body, {"approve", "note"}));
                     if (!body.contains("approve") || !body["approve"].is_boolean())
                       return invalid("approve", "approve must be true or false");
                     auto note = TRY(http::string_field(body, "note", false));
                     return s.decide_appraisal(a, id, body["approve"].get<bool>(), note);
                   });
  api.secured_json("POST", "/api/v1/appraisals/{id}/opinions",
                   [&s](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return s.give_opinion(a, id, TRY(http::json_body(r)));
                   });
  api.secured("GET", "/api/v1/disposal-register/{id}/evidence", [&s](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    Response resp = reply(s.disposal_evidence(a, *id), r);
    if (resp.status == 200)
      resp.set_header("Content-Disposition",
                      "attachment; filename=\"disposal-" + std::to_string(*id) + "-evidence.json\"");
    return resp;
  });
  api.secured_json("GET", "/api/v1/disposal-register", [&s](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"cursor", "limit"}));
    return s.disposal_register(a, TRY(http::cursor_param(r)), TRY(http::limit_param(r)));
  });
}

}  // namespace dangan::catalogue
