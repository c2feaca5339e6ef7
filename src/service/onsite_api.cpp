#include "service/onsite_api.h"

namespace dangan::service {

using json = nlohmann::json;
using http::Request;

void register_onsite_routes(http::Api& api, OnSite& v) {
  api.secured_json("GET", "/api/v1/onsite-visits", [&v](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(
        r, {"status", "patron_id", "staff_id", "from", "to", "cursor", "limit"}));
    OnSiteQuery q;
    q.status = http::text_param(r, "status");
    q.patron_id = TRY(http::int_param(r, "patron_id"));
    q.staff_id = TRY(http::int_param(r, "staff_id"));
    q.from = http::text_param(r, "from");
    q.to = http::text_param(r, "to");
    q.cursor = TRY(http::cursor_param(r));
    q.limit = TRY(http::limit_param(r));
    return v.list(a, q);
  });
  api.secured_json(
      "POST", "/api/v1/onsite-visits",
      [&v](Request& r, const Actor& a) -> Result<json> { return v.book(a, TRY(http::json_body(r))); },
      201);
  api.secured_json("GET", "/api/v1/onsite-visits/{id}",
                   [&v](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return v.get(a, TRY(http::id_path(r)));
                   });
  api.secured_json("PATCH", "/api/v1/onsite-visits/{id}",
                   [&v](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return v.update(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json("POST", "/api/v1/onsite-visits/{id}/done",
                   [&v](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return v.done(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json("POST", "/api/v1/onsite-visits/{id}/cancel",
                   [&v](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return v.cancel(a, id, TRY(http::optional_json_body(r)));
                   });
}

}  // namespace dangan::service
