#include "loans/loans_api.h"

namespace dangan::loans {

using json = nlohmann::json;
using http::Request;

void register_routes(http::Api& api, Desk& d) {
  api.secured_json("GET", "/api/v1/loans", [&d](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(
        r, {"status", "patron_id", "record_id", "sort", "cursor", "limit"}));
    LoanQuery q;
    q.status = http::text_param(r, "status");
    q.patron_id = TRY(http::int_param(r, "patron_id"));
    q.record_id = TRY(http::int_param(r, "record_id"));
    q.sort = http::text_param(r, "sort").value_or("-id");
    q.cursor = TRY(http::cursor_param(r));
    q.limit = TRY(http::limit_param(r));
    return d.list(a, q);
  });
  api.secured_json(
      "POST", "/api/v1/loans",
      [&d](Request& r, const Actor& a) -> Result<json> { return d.lend(a, TRY(http::json_body(r))); },
      201);
  api.secured_json("GET", "/api/v1/loans/{id}", [&d](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return d.get(a, TRY(http::id_path(r)));
  });
  api.secured_json("POST", "/api/v1/loans/{id}/renew",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return d.renew(a, id, TRY(http::optional_json_body(r)));
                   });
  api.secured_json("POST", "/api/v1/loans/{id}/return",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return d.give_back(a, id, TRY(http::optional_json_body(r)));
                   });
}

}  // namespace dangan::loans
