#include "service/service_api.h"

namespace dangan::service {

using json = nlohmann::json;
using http::reply;
using http::Request;

namespace {

Result<bool> flag_param(const Request& r, const std::string& name) {
  auto v = http::text_param(r, name);
  if (!v) return false;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  return invalid(name, name + " must be true or false");
}

}  // namespace

void register_routes(http::Api& api, Desk& d) {
  api.secured_json("GET", "/api/v1/tickets", [&d](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(
        r, {"status", "kind", "priority", "channel", "patron_id", "assignee_id", "team_id", "mine",
            "breached", "escalated", "q", "sort", "cursor", "limit"}));
    TicketQuery q;
    q.status = http::text_param(r, "status");
    q.kind = http::text_param(r, "kind");
    q.priority = http::text_param(r, "priority");
    q.channel = http::text_param(r, "channel");
    q.patron_id = TRY(http::int_param(r, "patron_id"));
    q.assignee_id = TRY(http::int_param(r, "assignee_id"));
    q.team_id = TRY(http::int_param(r, "team_id"));
    q.mine = TRY(flag_param(r, "mine"));
    q.breached = TRY(flag_param(r, "breached"));
    q.escalated = TRY(flag_param(r, "escalated"));
    q.q = http::text_param(r, "q").value_or("");
    q.sort = http::text_param(r, "sort").value_or("-id");
    q.cursor = TRY(http::cursor_param(r));
    q.limit = TRY(http::limit_param(r));
    return d.list(a, q);
  });
  api.secured_json(
      "POST", "/api/v1/tickets",
      [&d](Request& r, const Actor& a) -> Result<json> {
        return d.open(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("GET", "/api/v1/tickets/{id}", [&d](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return d.get(a, TRY(http::id_path(r)));
  });
  api.secured_json("PATCH", "/api/v1/tickets/{id}",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return d.update(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json(
      "POST", "/api/v1/tickets/{id}/messages",
      [&d](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        return d.post(a, id, TRY(http::json_body(r)));
      },
      201);
  for (const char* action : {"wait", "resume", "resolve", "close", "reopen"}) {
    api.secured_json("POST", std::string("/api/v1/tickets/{id}/") + action,
                     [&d, action](Request& r, const Actor& a) -> Result<json> {
                       auto id = TRY(http::id_path(r));
                       return d.act(a, id, action, TRY(http::optional_json_body(r)));
                     });
  }
  api.secured_json("GET", "/api/v1/tickets/{id}/answers/{answer_id}",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return d.render_answer(a, TRY(http::id_path(r, "answer_id")), id);
                   });
  api.secured_json("PUT", "/api/v1/tickets/{id}/recovery",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return d.offer_recovery(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json("POST", "/api/v1/tickets/{id}/recovery/answer",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return d.answer_recovery(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json(
      "GET", "/api/v1/follow-up-visits", [&d](Request& r, const Actor& a) -> Result<json> {
        TRY_STATUS(http::only_params(r, {"status", "patron_id", "cursor", "limit"}));
        return d.list_visits(a, http::text_param(r, "status"), TRY(http::int_param(r, "patron_id")),
                             TRY(http::cursor_param(r)), TRY(http::limit_param(r)));
      });
  api.secured_json(
      "POST", "/api/v1/follow-up-visits",
      [&d](Request& r, const Actor& a) -> Result<json> {
        return d.schedule_visit(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("POST", "/api/v1/follow-up-visits/{id}/record",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return d.record_visit(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json("PUT", "/api/v1/service/visits",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     return d.put_visit_settings(a, TRY(http::json_body(r)));
                   });
  api.secured_json("GET", "/api/v1/alerts", [&d](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"status", "kind", "patron_id", "cursor", "limit"}));
    return d.list_alerts(a, http::text_param(r, "status"), http::text_param(r, "kind"),
                         TRY(http::int_param(r, "patron_id")), TRY(http::cursor_param(r)),
                         TRY(http::limit_param(r)));
  });
  for (const char* action : {"assign", "acknowledge", "resolve"}) {
    api.secured_json("POST", std::string("/api/v1/alerts/{id}/") + action,
                     [&d, action](Request& r, const Actor& a) -> Result<json> {
                       auto id = TRY(http::id_path(r));
                       return d.act_on_alert(a, id, action, TRY(http::optional_json_body(r)));
                     });
  }
  api.secured_json("GET", "/api/v1/alert-rules", [&d](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return d.alert_rules(a);
  });
  api.secured_json("PUT", "/api/v1/alert-rules/{kind}",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     return d.put_alert_rule(a, r.path_params["kind"], TRY(http::json_body(r)));
                   });
  api.secured_json("GET", "/api/v1/patrons/{id}/service-summary",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return d.patron_summary(a, TRY(http::id_path(r)));
                   });
  api.secured_json("POST", "/api/v1/escalations/{id}/acknowledge",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     return d.acknowledge_escalation(a, TRY(http::id_path(r)));
                   });

  // Settings: calendar and SLA policies.
  api.secured_json("GET", "/api/v1/service/settings",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return d.settings(a);
                   });
  api.secured_json("PUT", "/api/v1/service/hours",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     return d.put_hours(a, TRY(http::json_body(r)));
                   });
  api.secured_json("PUT", "/api/v1/service/calendar/{date}",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     return d.put_calendar_day(a, r.path_params["date"], TRY(http::json_body(r)));
                   });
  api.secured("DELETE", "/api/v1/service/calendar/{date}", [&d](Request& r, const Actor& a) {
    return reply(d.delete_calendar_day(a, r.path_params["date"]), r);
  });
  api.secured_json("PUT", "/api/v1/service/policies/{kind}/{priority}",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     return d.put_policy(a, r.path_params["kind"], r.path_params["priority"],
                                         TRY(http::json_body(r)));
                   });

  // Teams.
  api.secured_json("GET", "/api/v1/teams", [&d](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return d.list_teams(a);
  });
  api.secured_json(
      "POST", "/api/v1/teams",
      [&d](Request& r, const Actor& a) -> Result<json> {
        return d.create_team(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("PATCH", "/api/v1/teams/{id}", [&d](Request& r, const Actor& a) -> Result<json> {
    auto id = TRY(http::id_path(r));
    return d.update_team(a, id, TRY(http::json_body(r)));
  });

  // Standard answers (话术).
  api.secured_json(
      "GET", "/api/v1/standard-answers", [&d](Request& r, const Actor& a) -> Result<json> {
        TRY_STATUS(http::only_params(r, {"q", "limit"}));
        return d.list_answers(a, http::text_param(r, "q").value_or(""), TRY(http::limit_param(r)));
      });
  api.secured_json(
      "POST", "/api/v1/standard-answers",
      [&d](Request& r, const Actor& a) -> Result<json> {
        return d.create_answer(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("PATCH", "/api/v1/standard-answers/{id}",
                   [&d](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return d.update_answer(a, id, TRY(http::json_body(r)));
                   });
  api.secured("DELETE", "/api/v1/standard-answers/{id}", [&d](Request& r, const Actor& a) {
    auto removed = [&]() -> Status { return d.delete_answer(a, TRY(http::id_path(r))); }();
    return reply(removed, r);
  });
}

}  // namespace dangan::service
