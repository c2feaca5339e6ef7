#include "catalogue/collection_api.h"

namespace dangan::catalogue {

using json = nlohmann::json;
using http::reply;
using http::Request;
using http::Response;

namespace {

Response svg(const Result<std::string>& r, const Request& req) {
  if (!r) return reply(r.error(), req);
  Response resp = Response::text(200, *r, "image/svg+xml; charset=utf-8");
  resp.set_header("Content-Disposition", "inline; filename=\"label.svg\"");
  return resp;
}

}  // namespace

void register_collection_routes(http::Api& api, Collection& c) {
  // D7: acquisition and accession.
  api.secured_json("GET", "/api/v1/donors", [&c](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return c.list_donors(a);
  });
  api.secured_json(
      "POST", "/api/v1/donors",
      [&c](Request& r, const Actor& a) -> Result<json> { return c.create_donor(a, TRY(http::json_body(r))); },
      201);
  api.secured_json("GET", "/api/v1/agreements", [&c](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"donor_id"}));
    return c.list_agreements(a, TRY(http::int_param(r, "donor_id")));
  });
  api.secured_json(
      "POST", "/api/v1/agreements",
      [&c](Request& r, const Actor& a) -> Result<json> { return c.create_agreement(a, TRY(http::json_body(r))); },
      201);
  api.secured_json("GET", "/api/v1/acquisition-plans", [&c](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return c.list_plans(a);
  });
  api.secured_json(
      "POST", "/api/v1/acquisition-plans",
      [&c](Request& r, const Actor& a) -> Result<json> { return c.create_plan(a, TRY(http::json_body(r))); },
      201);
  api.secured_json("GET", "/api/v1/accessions", [&c](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"plan_id", "cursor", "limit"}));
    return c.list_accessions(a, TRY(http::int_param(r, "plan_id")), TRY(http::cursor_param(r)),
                             TRY(http::limit_param(r)));
  });
  api.secured_json(
      "POST", "/api/v1/accessions",
      [&c](Request& r, const Actor& a) -> Result<json> { return c.create_accession(a, TRY(http::json_body(r))); },
      201);
  api.secured_json("GET", "/api/v1/accessions/{id}", [&c](Request& r, const Actor& a) -> Result<json> {
    return c.get_accession(a, TRY(http::id_path(r)));
  });
  api.secured_json("POST", "/api/v1/accessions/{id}/records", [&c](Request& r, const Actor& a) -> Result<json> {
    auto id = TRY(http::id_path(r));
    return c.link_records(a, id, TRY(http::json_body(r)));
  });

  // D48: storerooms.
  api.secured_json("GET", "/api/v1/locations/{id}/equipment", [&c](Request& r, const Actor& a) -> Result<json> {
    return c.list_equipment(a, TRY(http::id_path(r)));
  });
  api.secured_json(
      "POST", "/api/v1/locations/{id}/equipment",
      [&c](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        return c.add_equipment(a, id, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("PUT", "/api/v1/locations/{id}/environment-thresholds",
                   [&c](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return c.set_thresholds(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json("GET", "/api/v1/locations/{id}/readings", [&c](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"from", "to", "limit"}));
    auto id = TRY(http::id_path(r));
    return c.readings(a, id, http::text_param(r, "from"), http::text_param(r, "to"),
                      TRY(http::limit_param(r, 100, 1000)));
  });
  api.secured_json(
      "POST", "/api/v1/locations/{id}/readings",
      [&c](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        return c.add_readings(a, id, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("GET", "/api/v1/environment-alerts", [&c](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"status", "limit"}));
    return c.alerts(a, http::text_param(r, "status"), TRY(http::limit_param(r)));
  });
  for (const char* action : {"acknowledge", "resolve"})
    api.secured_json("POST", std::string("/api/v1/environment-alerts/{id}/") + action,
                     [&c, action](Request& r, const Actor& a) -> Result<json> {
                       auto id = TRY(http::id_path(r));
                       auto body = TRY(http::optional_json_body(r));
                       TRY_STATUS(http::only_fields(body, {"note"}));
                       auto note = TRY(http::string_field(body, "note", false));
                       return c.update_alert(a, id, action, note);
                     });
  api.secured_json("GET", "/api/v1/locations/{id}/inspections", [&c](Request& r, const Actor& a) -> Result<json> {
    return c.inspections(a, TRY(http::id_path(r)));
  });
  api.secured_json(
      "POST", "/api/v1/locations/{id}/inspections",
      [&c](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        return c.add_inspection(a, id, TRY(http::json_body(r)));
      },
      201);

  // D36: labels.
  api.secured("GET", "/api/v1/records/{id}/label", [&c](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    return svg(c.record_label(a, *id), r);
  });
  api.secured("GET", "/api/v1/locations/{id}/label", [&c](Request& r, const Actor& a) {
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    return svg(c.box_label(a, *id), r);
  });
}

}  // namespace dangan::catalogue
