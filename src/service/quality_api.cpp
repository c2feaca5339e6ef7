#include "service/quality_api.h"

namespace dangan::service {

using json = nlohmann::json;
using http::reply;
using http::Request;
using http::Response;

namespace {

Result<bool> flag(const Request& r, const std::string& name) {
  auto v = http::text_param(r, name);
  if (!v) return false;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  return invalid(name, name + " must be true or false");
}

// ?period=week|month&from&to, shared by the reports.
TrendQuery period_params(const Request& r) {
  TrendQuery tq;
  tq.period = http::text_param(r, "period").value_or("week");
  tq.from = http::text_param(r, "from");
  tq.to = http::text_param(r, "to");
  return tq;
}

}  // namespace

void register_quality_routes(http::Api& api, Quality& q, std::size_t max_recording_bytes) {
  // Problem management (D13).
  api.secured_json("GET", "/api/v1/cause-codes", [&q](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return q.list_causes(a);
  });
  api.secured_json(
      "POST", "/api/v1/cause-codes",
      [&q](Request& r, const Actor& a) -> Result<json> {
        return q.create_cause(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("PATCH", "/api/v1/cause-codes/{id}",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return q.update_cause(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json("GET", "/api/v1/cause-codes/{id}/tickets",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {"unlinked", "cursor", "limit"}));
                     auto id = TRY(http::id_path(r));
                     return q.cause_tickets(a, id, TRY(flag(r, "unlinked")),
                                            TRY(http::cursor_param(r)), TRY(http::limit_param(r)));
                   });
  api.secured_json("GET", "/api/v1/tickets/{id}/cause",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return q.ticket_cause(a, TRY(http::id_path(r)));
                   });
  api.secured_json("PUT", "/api/v1/tickets/{id}/cause",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return q.set_ticket_cause(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json("GET", "/api/v1/problems", [&q](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"status", "cause_id", "cursor", "limit"}));
    ProblemQuery pq;
    pq.status = http::text_param(r, "status");
    pq.cause_id = TRY(http::int_param(r, "cause_id"));
    pq.cursor = TRY(http::cursor_param(r));
    pq.limit = TRY(http::limit_param(r));
    return q.list_problems(a, pq);
  });
  api.secured_json(
      "POST", "/api/v1/problems",
      [&q](Request& r, const Actor& a) -> Result<json> {
        return q.create_problem(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("GET", "/api/v1/problems/{id}", [&q](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return q.get_problem(a, TRY(http::id_path(r)));
  });
  api.secured_json("PATCH", "/api/v1/problems/{id}",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return q.update_problem(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json("POST", "/api/v1/problems/{id}/tickets",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return q.link_ticket(a, id, TRY(http::json_body(r)));
                   });
  api.secured("DELETE", "/api/v1/problems/{id}/tickets/{ticket_id}",
              [&q](Request& r, const Actor& a) {
                auto removed = [&]() -> Status {
                  auto id = TRY(http::id_path(r));
                  return q.unlink_ticket(a, id, TRY(http::id_path(r, "ticket_id")));
                }();
                return reply(removed, r);
              });
  api.secured_json(
      "POST", "/api/v1/problems/{id}/actions",
      [&q](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        return q.add_action(a, id, TRY(http::json_body(r)));
      },
      201);
  api.secured_json(
      "GET", "/api/v1/improvement-actions", [&q](Request& r, const Actor& a) -> Result<json> {
        TRY_STATUS(http::only_params(r, {"status", "owner_id", "unit_id", "problem_id", "overdue",
                                         "mine", "cursor", "limit"}));
        ActionQuery aq;
        aq.status = http::text_param(r, "status");
        aq.owner_id = TRY(http::int_param(r, "owner_id"));
        aq.unit_id = TRY(http::int_param(r, "unit_id"));
        aq.problem_id = TRY(http::int_param(r, "problem_id"));
        aq.overdue = TRY(flag(r, "overdue"));
        aq.mine = TRY(flag(r, "mine"));
        aq.cursor = TRY(http::cursor_param(r));
        aq.limit = TRY(http::limit_param(r));
        return q.list_actions(a, aq);
      });
  api.secured_json("PATCH", "/api/v1/improvement-actions/{id}",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return q.update_action(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json(
      "GET", "/api/v1/reports/cause-trends", [&q](Request& r, const Actor& a) -> Result<json> {
        TRY_STATUS(http::only_params(r, {"period", "from", "to", "level"}));
        TrendQuery tq = period_params(r);
        auto level = http::text_param(r, "level").value_or("code");
        if (level != "code" && level != "top") return invalid("level", "level is code or top");
        tq.top = level == "top";
        return q.cause_trends(a, tq);
      });

  // Quality inspection (D14): recordings and transcripts.
  api.secured("POST", "/api/v1/tickets/{id}/recordings",
              [&q, max_recording_bytes](Request& r, const Actor& a) {
                if (auto st = http::only_params(r, {"filename"}); !st) return reply(st.error(), r);
                auto id = http::id_path(r);
                if (!id) return reply(id.error(), r);
                if (r.body.size() > max_recording_bytes)
                  return Response::json(
                      413, {{"error",
                             {{"code", "invalid"},
                              {"message", "the recording is larger than the limit of " +
                                              std::to_string(max_recording_bytes) + " bytes"},
                              {"field", "file"}}}});
                return reply(q.add_recording(a, *id, r.param("filename").value_or(""), r.body), r,
                             201);
              });
  api.secured_json("GET", "/api/v1/tickets/{id}/recordings",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return q.list_recordings(a, TRY(http::id_path(r)));
                   });
  api.secured("GET", "/api/v1/recordings/{id}/content", [&q](Request& r, const Actor& a) {
    if (auto st = http::only_params(r, {}); !st) return reply(st.error(), r);
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    auto c = q.play_recording(a, *id);
    if (!c) return reply(c.error(), r);
    Response resp = Response::text(200, std::move(c->body), c->content_type);
    resp.set_header("Content-Disposition",
                    "inline; filename=\"recording-" + std::to_string(*id) + "\"");
    resp.set_header("Cache-Control", "no-store");
    resp.set_header("Content-Security-Policy", "sandbox; default-src 'none'");
    return resp;
  });
  api.secured_json("PUT", "/api/v1/recordings/{id}/transcript",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return q.put_transcript(a, id, TRY(http::json_body(r)));
                   });

  // The scorecard and the sample rate.
  api.secured_json("GET", "/api/v1/qa/criteria", [&q](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return q.scorecard(a);
  });
  api.secured_json(
      "POST", "/api/v1/qa/criteria",
      [&q](Request& r, const Actor& a) -> Result<json> {
        return q.add_criterion(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("PATCH", "/api/v1/qa/criteria/{id}",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return q.update_criterion(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json("PUT", "/api/v1/qa/settings", [&q](Request& r, const Actor& a) -> Result<json> {
    return q.put_qa_settings(a, TRY(http::json_body(r)));
  });

  // Reviews, scores per agent, coaching and training.
  api.secured_json("GET", "/api/v1/qa/reviews", [&q](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"status", "agent_id", "cursor", "limit"}));
    ReviewQuery rq;
    rq.status = http::text_param(r, "status");
    rq.agent_id = TRY(http::int_param(r, "agent_id"));
    rq.cursor = TRY(http::cursor_param(r));
    rq.limit = TRY(http::limit_param(r));
    return q.list_reviews(a, rq);
  });
  api.secured_json(
      "POST", "/api/v1/qa/reviews",
      [&q](Request& r, const Actor& a) -> Result<json> {
        return q.create_review(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("GET", "/api/v1/qa/reviews/{id}",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return q.get_review(a, TRY(http::id_path(r)));
                   });
  api.secured_json("POST", "/api/v1/qa/reviews/{id}/score",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return q.score_review(a, id, TRY(http::json_body(r)));
                   });
  api.secured_json(
      "GET", "/api/v1/reports/agent-scores", [&q](Request& r, const Actor& a) -> Result<json> {
        TRY_STATUS(http::only_params(r, {"period", "from", "to", "agent_id"}));
        return q.agent_scores(a, period_params(r), TRY(http::int_param(r, "agent_id")));
      });
  api.secured_json(
      "GET", "/api/v1/coaching-notes", [&q](Request& r, const Actor& a) -> Result<json> {
        TRY_STATUS(http::only_params(r, {"agent_id", "cursor", "limit"}));
        return q.list_coaching(a, TRY(http::int_param(r, "agent_id")), TRY(http::cursor_param(r)),
                               TRY(http::limit_param(r)));
      });
  api.secured_json(
      "POST", "/api/v1/coaching-notes",
      [&q](Request& r, const Actor& a) -> Result<json> {
        return q.add_coaching(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("POST", "/api/v1/coaching-notes/{id}/acknowledge",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     return q.acknowledge_coaching(a, TRY(http::id_path(r)));
                   });
  api.secured_json(
      "GET", "/api/v1/training-records", [&q](Request& r, const Actor& a) -> Result<json> {
        TRY_STATUS(http::only_params(r, {"user_id", "cursor", "limit"}));
        return q.list_training(a, TRY(http::int_param(r, "user_id")), TRY(http::cursor_param(r)),
                               TRY(http::limit_param(r)));
      });
  api.secured_json(
      "POST", "/api/v1/training-records",
      [&q](Request& r, const Actor& a) -> Result<json> {
        return q.add_training(a, TRY(http::json_body(r)));
      },
      201);

  // Cases across channels (D32).
  api.secured_json("GET", "/api/v1/cases", [&q](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"status", "patron_id", "cursor", "limit"}));
    CaseQuery cq;
    cq.status = http::text_param(r, "status");
    cq.patron_id = TRY(http::int_param(r, "patron_id"));
    cq.cursor = TRY(http::cursor_param(r));
    cq.limit = TRY(http::limit_param(r));
    return q.list_cases(a, cq);
  });
  api.secured_json(
      "POST", "/api/v1/cases",
      [&q](Request& r, const Actor& a) -> Result<json> {
        return q.create_case(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("GET", "/api/v1/cases/{id}", [&q](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return q.get_case(a, TRY(http::id_path(r)));
  });
  api.secured_json("PATCH", "/api/v1/cases/{id}", [&q](Request& r, const Actor& a) -> Result<json> {
    auto id = TRY(http::id_path(r));
    return q.update_case(a, id, TRY(http::json_body(r)));
  });
  api.secured_json("POST", "/api/v1/cases/{id}/links",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return q.link_case(a, id, TRY(http::json_body(r)));
                   });
  api.secured("DELETE", "/api/v1/cases/{id}/links/{kind}/{item_id}",
              [&q](Request& r, const Actor& a) {
                auto removed = [&]() -> Status {
                  auto id = TRY(http::id_path(r));
                  return q.unlink_case(a, id, r.path_params["kind"],
                                       TRY(http::id_path(r, "item_id")));
                }();
                return reply(removed, r);
              });
  api.secured_json(
      "POST", "/api/v1/cases/{id}/steps",
      [&q](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        return q.add_case_step(a, id, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("GET", "/api/v1/cases/{id}/replay",
                   [&q](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return q.replay(a, TRY(http::id_path(r)));
                   });
  api.secured_json(
      "GET", "/api/v1/reports/touchpoints", [&q](Request& r, const Actor& a) -> Result<json> {
        TRY_STATUS(http::only_params(r, {"from", "to"}));
        return q.touchpoints(a, period_params(r));
      });
}

}  // namespace dangan::service
