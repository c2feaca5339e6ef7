#include "service/programs_api.h"

namespace dangan::service {

using json = nlohmann::json;
using http::Request;

void register_program_routes(http::Api& api, KnowledgeServices& k, Traces& t) {
  api.secured_json(
      "GET", "/api/v1/knowledge-services", [&k](Request& r, const Actor& a) -> Result<json> {
        TRY_STATUS(http::only_params(
            r, {"status", "patron_id", "specialist_id", "mine", "cursor", "limit"}));
        KnowledgeQuery q;
        q.status = http::text_param(r, "status");
        q.patron_id = TRY(http::int_param(r, "patron_id"));
        q.specialist_id = TRY(http::int_param(r, "specialist_id"));
        auto mine = http::text_param(r, "mine");
        if (mine && *mine != "true" && *mine != "false" && *mine != "1" && *mine != "0")
          return invalid("mine", "mine must be true or false");
        q.mine = mine && (*mine == "true" || *mine == "1");
        q.cursor = TRY(http::cursor_param(r));
        q.limit = TRY(http::limit_param(r));
        return k.list(a, q);
      });
  api.secured_json(
      "POST", "/api/v1/knowledge-services",
      [&k](Request& r, const Actor& a) -> Result<json> {
        return k.start(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("GET", "/api/v1/knowledge-services/{id}",
                   [&k](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return k.get(a, TRY(http::id_path(r)));
                   });
  api.secured_json("PATCH", "/api/v1/knowledge-services/{id}",
                   [&k](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return k.update(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json(
      "POST", "/api/v1/knowledge-services/{id}/milestones",
      [&k](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        return k.add_milestone(a, id, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("POST", "/api/v1/knowledge-services/{id}/milestones/{milestone_id}/done",
                   [&k](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return k.complete_milestone(a, id, TRY(http::id_path(r, "milestone_id")));
                   });
  api.secured_json(
      "POST", "/api/v1/knowledge-services/{id}/deliveries",
      [&k](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        return k.deliver(a, id, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("POST", "/api/v1/knowledge-services/{id}/close",
                   [&k](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return k.close(a, id, TRY(http::json_body(r)));
                   });

  // Trace points (D33).
  api.secured_json(
      "POST", "/api/v1/traces/page",
      [&t](Request& r, const Actor& a) -> Result<json> { return t.page(a, TRY(http::json_body(r))); },
      202);
  api.secured_json(
      "POST", "/api/v1/traces/ivr",
      [&t](Request& r, const Actor& a) -> Result<json> { return t.ivr(a, TRY(http::json_body(r))); },
      202);
  api.secured_json("GET", "/api/v1/trace-points", [&t](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return t.points(a);
  });
  api.secured_json("PUT", "/api/v1/trace-points/{kind}",
                   [&t](Request& r, const Actor& a) -> Result<json> {
                     return t.put_point(a, r.path_params["kind"], TRY(http::json_body(r)));
                   });
  api.secured_json(
      "GET", "/api/v1/reports/feature-use", [&t](Request& r, const Actor& a) -> Result<json> {
        TRY_STATUS(http::only_params(r, {"kind", "from", "to", "limit"}));
        FeatureUseQuery q;
        q.kind = http::text_param(r, "kind").value_or("portal_page");
        q.from = http::text_param(r, "from");
        q.to = http::text_param(r, "to");
        q.limit = TRY(http::limit_param(r));
        return t.feature_use(a, q);
      });
}

}  // namespace dangan::service
