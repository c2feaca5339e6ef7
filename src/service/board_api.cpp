#include "service/board_api.h"

namespace dangan::service {

using json = nlohmann::json;
using http::Request;

namespace {

// A route open to anyone, answered as JSON like secured_json's.
void open_json(http::Api& api, const std::string& method, const std::string& pattern,
               std::function<Result<json>(Request&)> handler) {
  api.open(method, pattern, [handler = std::move(handler)](Request& r) {
    return http::reply(handler(r), r);
  });
}

}  // namespace

void register_board_routes(http::Api& api, Board& b) {
  // ---- the public board and FAQ (no session)
  open_json(api, "GET", "/api/v1/board/posts", [&b](Request& r) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"q", "cursor", "limit"}));
    return b.public_posts(http::text_param(r, "q").value_or(""), TRY(http::cursor_param(r)),
                          TRY(http::limit_param(r, 20, 100)));
  });
  open_json(api, "GET", "/api/v1/board/posts/{id}", [&b](Request& r) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return b.public_post(TRY(http::id_path(r)));
  });
  open_json(api, "GET", "/api/v1/faq", [&b](Request& r) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"q", "limit"}));
    return b.public_faq(http::text_param(r, "q").value_or(""), TRY(http::limit_param(r, 5, 50)));
  });
  open_json(api, "GET", "/api/v1/faq/{id}", [&b](Request& r) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return b.public_faq_entry(TRY(http::id_path(r)));
  });

  // ---- the portal
  api.secured_json(
      "POST", "/api/v1/board/posts",
      [&b](Request& r, const Actor& a) -> Result<json> { return b.post(a, TRY(http::json_body(r))); },
      201);
  api.secured_json("GET", "/api/v1/board/my-posts", [&b](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"cursor", "limit"}));
    return b.my_posts(a, TRY(http::cursor_param(r)), TRY(http::limit_param(r, 20, 100)));
  });
  api.secured_json("POST", "/api/v1/faq/feedback", [&b](Request& r, const Actor& a) -> Result<json> {
    return b.faq_feedback(a, TRY(http::json_body(r)));
  });

  // ---- staff: moderation
  api.secured_json("GET", "/api/v1/board/moderation", [&b](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"status", "ticket_id", "q", "cursor", "limit"}));
    return b.staff_posts(a, http::text_param(r, "status"), TRY(http::int_param(r, "ticket_id")),
                         http::text_param(r, "q").value_or(""), TRY(http::cursor_param(r)),
                         TRY(http::limit_param(r)));
  });
  api.secured_json("GET", "/api/v1/board/moderation/{id}",
                   [&b](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return b.staff_post(a, TRY(http::id_path(r)));
                   });
  api.secured_json("POST", "/api/v1/board/posts/{id}/publish",
                   [&b](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return b.publish(a, id, TRY(http::optional_json_body(r)));
                   });
  api.secured_json("POST", "/api/v1/board/posts/{id}/reject",
                   [&b](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return b.reject(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json("PUT", "/api/v1/board/posts/{id}/answer",
                   [&b](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return b.answer(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json(
      "POST", "/api/v1/board/posts/{id}/ticket",
      [&b](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        return b.to_ticket(a, id, TRY(http::optional_json_body(r)));
      },
      201);

  // ---- staff: FAQ entries
  api.secured_json("GET", "/api/v1/faq-entries", [&b](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"status", "q", "cursor", "limit"}));
    return b.faq_entries(a, http::text_param(r, "status"), http::text_param(r, "q").value_or(""),
                         TRY(http::cursor_param(r)), TRY(http::limit_param(r)));
  });
  api.secured_json(
      "POST", "/api/v1/faq-entries",
      [&b](Request& r, const Actor& a) -> Result<json> {
        return b.propose_faq(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("GET", "/api/v1/faq-entries/draft", [&b](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"ticket_id"}));
    auto id = TRY(http::int_param(r, "ticket_id"));
    if (!id) return invalid("ticket_id", "is required");
    return b.faq_draft(a, *id);
  });
  api.secured_json("GET", "/api/v1/faq-entries/{id}", [&b](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return b.faq_entry(a, TRY(http::id_path(r)));
  });
  api.secured_json("PATCH", "/api/v1/faq-entries/{id}",
                   [&b](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return b.edit_faq(a, id, TRY(http::json_body(r)));
                   });
  for (const char* action : {"approve", "reject", "retire"}) {
    api.secured_json("POST", std::string("/api/v1/faq-entries/{id}/") + action,
                     [&b, action](Request& r, const Actor& a) -> Result<json> {
                       auto id = TRY(http::id_path(r));
                       return b.decide_faq(a, id, action, TRY(http::optional_json_body(r)));
                     });
  }
}

}  // namespace dangan::service
