#include "auth/auth_api.h"

#include "audit/audit.h"
#include "patrons/patrons.h"
#include "text/text.h"

namespace dangan::auth {

using json = nlohmann::json;
using http::only_fields;
using http::reply;
using http::Request;
using http::Response;

namespace {

std::string cookie(const std::string& value, bool secure, int max_age) {
  std::string c = std::string(http::kSessionCookie) + "=" + value +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
  if (secure) c += "; Secure";
  return c;
}

}  // namespace

void register_routes(http::Api& api, Sessions& sessions, store::Database& db,
                     audit::ReadRecorder& reads, const Config& config) {
  api.open("POST", "/api/v1/auth/login", [&api, &sessions, config](Request& r) {
    auto body = http::json_body(r);
    if (!body) return reply(body.error(), r);
    if (auto ok = only_fields(*body, {"username", "password", "cookie"}); !ok)
      return reply(ok.error(), r);
    auto user = http::string_field(*body, "username", true);
    if (!user) return reply(user.error(), r);
    auto pass = http::string_field(*body, "password", true);
    if (!pass) return reply(pass.error(), r);
    if (user->size() > 64 || pass->size() > 1024)
      return reply(Error{ErrorCode::unauthenticated, "wrong username or password", ""}, r);
    bool want_cookie = body->contains("cookie") && (*body)["cookie"] == true;
    auto s = sessions.login(*user, *pass, api.client(r), r.request_id);
    if (!s) {
      Response resp = reply(s.error(), r);
      if (s.error().code == ErrorCode::too_many_requests) resp.set_header("Retry-After", "60");
      return resp;
    }
    json out = {
        {"csrf_token", s->csrf_token}, {"expires_at", s->expires_at}, {"user", to_json(s->user)}};
    Response resp;
    if (want_cookie) {
      resp = Response::json(200, out);
      resp.set_header("Set-Cookie",
                      cookie(s->token, api.secure(r), config.session_absolute_hours * 3600));
    } else {
      out["token"] = s->token;
      resp = Response::json(200, out);
    }
    return resp;
  });

  api.secured("POST", "/api/v1/auth/logout", [&api, &sessions](Request& r, const Actor& a) {
    auto token = http::bearer(r);
    if (!token) token = r.cookie(http::kSessionCookie);
    auto s = sessions.logout(*token, a);
    Response resp = reply(s, r);
    resp.set_header("Set-Cookie", cookie("", api.secure(r), 0));
    return resp;
  });

  api.secured("POST", "/api/v1/auth/password", [&sessions](Request& r, const Actor& a) {
    auto body = http::json_body(r);
    if (!body) return reply(body.error(), r);
    if (auto ok = only_fields(*body, {"current_password", "new_password"}); !ok)
      return reply(ok.error(), r);
    auto cur = http::string_field(*body, "current_password", true);
    if (!cur) return reply(cur.error(), r);
    auto next = http::string_field(*body, "new_password", true);
    if (!next) return reply(next.error(), r);
    return reply(sessions.change_password(a, *cur, *next), r);
  });

  api.secured("GET", "/api/v1/me", [&db](Request& r, const Actor& a) {
    auto tx = db.begin(store::TxMode::read);
    if (!tx) return reply(tx.error(), r);
    auto u = get_user(**tx, a.user_id);
    if (!u) return reply(u.error(), r);
    json out = to_json(*u);
    json perms = json::array();
    for (auto [p, name] : {std::pair{Permission::patron_read, "patron_read"},
                           {Permission::patron_write, "patron_write"},
                           {Permission::patron_reveal, "patron_reveal"},
                           {Permission::patron_merge, "patron_merge"},
                           {Permission::patron_erase, "patron_erase"},
                           {Permission::patron_export, "patron_export"},
                           {Permission::key_change_decide, "key_change_decide"},
                           {Permission::audit_read, "audit_read"},
                           {Permission::user_admin, "user_admin"},
                           {Permission::unit_admin, "unit_admin"},
                           {Permission::record_read, "record_read"},
                           {Permission::record_secret, "record_secret"},
                           {Permission::record_write, "record_write"},
                           {Permission::catalogue_config, "catalogue_config"},
                           {Permission::appraisal_propose, "appraisal_propose"},
                           {Permission::appraisal_decide, "appraisal_decide"},
                           {Permission::record_transfer, "record_transfer"},
                           {Permission::search_demand, "search_demand"},
                           {Permission::ticket_read, "ticket_read"},
                           {Permission::ticket_write, "ticket_write"},
                           {Permission::ticket_confidential, "ticket_confidential"},
                           {Permission::ticket_escalation, "ticket_escalation"},
                           {Permission::service_config, "service_config"},
                           {Permission::export_approve, "export_approve"},
                           {Permission::board_moderate, "board_moderate"},
                           {Permission::faq_approve, "faq_approve"},
                           {Permission::loan_read, "loan_read"},
                           {Permission::loan_write, "loan_write"},
                           {Permission::loan_restricted, "loan_restricted"},
                           {Permission::problem_manage, "problem_manage"},
                           {Permission::quality_review, "quality_review"},
                           {Permission::service_report, "service_report"},
                           {Permission::trace_report, "trace_report"}})
      if (allowed(a.role, p)) perms.push_back(name);
    out["permissions"] = perms;
    // A new browser tab has the cookie but not the CSRF token: give it back here.
    if (!r.csrf_token.empty()) out["csrf_token"] = r.csrf_token;
    return Response::json(200, out);
  });

  api.secured("GET", "/api/v1/users", [&db](Request& r, const Actor& a) {
    if (auto ok = require(a, Permission::user_admin); !ok) return reply(ok.error(), r);
    auto tx = db.begin(store::TxMode::read);
    if (!tx) return reply(tx.error(), r);
    auto users = list_users(**tx);
    if (!users) return reply(users.error(), r);
    json items = json::array();
    for (auto& u : *users) items.push_back(to_json(u));
    return Response::json(200, {{"items", items}, {"next_cursor", nullptr}});
  });

  api.secured("POST", "/api/v1/users", [&db](Request& r, const Actor& a) {
    if (auto ok = require(a, Permission::user_admin); !ok) return reply(ok.error(), r);
    auto body = http::json_body(r);
    if (!body) return reply(body.error(), r);
    if (auto ok = only_fields(*body, {"username", "password", "role", "display_name", "unit_id",
                                      "unit_scoped", "patron_id"});
        !ok)
      return reply(ok.error(), r);
    NewUser u;
    auto name = http::string_field(*body, "username", true);
    if (!name) return reply(name.error(), r);
    u.username = *name;
    auto pass = http::string_field(*body, "password", true);
    if (!pass) return reply(pass.error(), r);
    u.password = *pass;
    auto role = http::string_field(*body, "role", true);
    if (!role) return reply(role.error(), r);
    auto parsed = parse_role(*role);
    if (!parsed)
      return reply(
          Error{ErrorCode::invalid,
                "must be administrator, archivist, agent, manager, analyst, auditor or patron",
                "role"},
          r);
    u.role = *parsed;
    auto display = http::string_field(*body, "display_name", false);
    if (!display) return reply(display.error(), r);
    u.display_name = *display;
    for (auto [key, out] :
         {std::pair{"unit_id", &u.unit_id}, std::pair{"patron_id", &u.patron_id}}) {
      if (!body->contains(key) || (*body)[key].is_null()) continue;
      if (!(*body)[key].is_number_integer())
        return reply(Error{ErrorCode::invalid, "must be an integer", key}, r);
      *out = (*body)[key].get<std::int64_t>();
    }
    if (body->contains("unit_scoped")) {
      if (!(*body)["unit_scoped"].is_boolean())
        return reply(Error{ErrorCode::invalid, "must be true or false", "unit_scoped"}, r);
      u.unit_scoped = (*body)["unit_scoped"];
      if (u.unit_scoped && !u.unit_id)
        return reply(Error{ErrorCode::invalid, "a unit-scoped user needs a unit", "unit_id"}, r);
    }
    if (auto hashed = hash_new_password(u); !hashed) return reply(hashed.error(), r);
    auto tx = db.begin(store::TxMode::write);
    if (!tx) return reply(tx.error(), r);
    auto created = create_user(**tx, u);
    if (!created) return reply(created.error(), r);
    if (auto s = audit::append(**tx, a,
                               {"user.create",
                                "user",
                                std::to_string(created->id),
                                u.patron_id,
                                "",
                                {{"role", to_string(u.role)}}});
        !s)
      return reply(s.error(), r);
    if (auto s = (*tx)->commit(); !s) return reply(s.error(), r);
    return Response::json(201, to_json(*created));
  });

  for (auto [verb, disable] : {std::pair{"disable", true}, std::pair{"enable", false}}) {
    api.secured(
        "POST", std::string("/api/v1/users/{id}/") + verb,
        [&db, &sessions, disable](Request& r, const Actor& a) {
          if (auto ok = require(a, Permission::user_admin); !ok) return reply(ok.error(), r);
          auto id = http::id_path(r);
          if (!id) return reply(id.error(), r);
          if (*id == a.user_id && disable)
            return reply(Error{ErrorCode::conflict, "you cannot disable yourself", "id"}, r);
          auto tx = db.begin(store::TxMode::write);
          if (!tx) return reply(tx.error(), r);
          if (auto s = set_disabled(**tx, *id, disable); !s) return reply(s.error(), r);
          if (auto s = audit::append(
                  **tx, a, {disable ? "user.disable" : "user.enable", "user", std::to_string(*id)});
              !s)
            return reply(s.error(), r);
          auto u = get_user(**tx, *id);
          if (!u) return reply(u.error(), r);
          if (auto s = (*tx)->commit(); !s) return reply(s.error(), r);
          if (disable) sessions.forget_user(*id);
          return Response::json(200, to_json(*u));
        });
  }

  api.secured("GET", "/api/v1/units", [&db](Request& r, const Actor& a) {
    if (!a.is_staff()) return reply(Error{ErrorCode::forbidden, "staff only", ""}, r);
    auto tx = db.begin(store::TxMode::read);
    if (!tx) return reply(tx.error(), r);
    auto rows =
        (*tx)->query("SELECT id, code, name, parent_id, created_at FROM units ORDER BY code", {});
    if (!rows) return reply(rows.error(), r);
    json items = json::array();
    for (auto& u : *rows)
      items.push_back({{"id", u.i64(0)},
                       {"code", u.str(1)},
                       {"name", u.str(2)},
                       {"parent_id", u.is_null(3) ? json() : json(u.i64(3))},
                       {"created_at", u.str(4)}});
    return Response::json(200, {{"items", items}, {"next_cursor", nullptr}});
  });

  api.secured("POST", "/api/v1/units", [&db](Request& r, const Actor& a) {
    if (auto ok = require(a, Permission::unit_admin); !ok) return reply(ok.error(), r);
    auto body = http::json_body(r);
    if (!body) return reply(body.error(), r);
    if (auto ok = only_fields(*body, {"code", "name", "parent_id"}); !ok)
      return reply(ok.error(), r);
    auto code = http::string_field(*body, "code", true);
    if (!code) return reply(code.error(), r);
    auto name = http::string_field(*body, "name", true);
    if (!name) return reply(name.error(), r);
    if (code->empty() || code->size() > 20 ||
        code->find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            std::string::npos)
      return reply(Error{ErrorCode::invalid, "1 to 20 letters, digits, - or _", "code"}, r);
    if (text::utf8_length(*name) < 1 || text::utf8_length(*name) > 100)
      return reply(Error{ErrorCode::invalid, "1 to 100 characters", "name"}, r);
    std::optional<std::int64_t> parent;
    if (body->contains("parent_id") && !(*body)["parent_id"].is_null()) {
      if (!(*body)["parent_id"].is_number_integer())
        return reply(Error{ErrorCode::invalid, "must be an integer", "parent_id"}, r);
      parent = (*body)["parent_id"].get<std::int64_t>();
    }
    auto tx = db.begin(store::TxMode::write);
    if (!tx) return reply(tx.error(), r);
    if (parent) {
      auto p = (*tx)->maybe_one("SELECT id FROM units WHERE id = ?", {*parent});
      if (!p) return reply(p.error(), r);
      if (!*p) return reply(Error{ErrorCode::invalid, "no such unit", "parent_id"}, r);
    }
    auto row = (*tx)->one(
        "INSERT INTO units (code, name, parent_id, created_at) VALUES (?,?,?,?) RETURNING id",
        {*code, *name, store::opt(parent), format_time(system_clock().now())}, "unit");
    if (!row) {
      if (row.error().code == ErrorCode::conflict)
        return reply(Error{ErrorCode::conflict, "a unit with this code exists", "code"}, r);
      return reply(row.error(), r);
    }
    if (auto s = audit::append(**tx, a, {"unit.create", "unit", std::to_string(row->i64(0))}); !s)
      return reply(s.error(), r);
    if (auto s = (*tx)->commit(); !s) return reply(s.error(), r);
    return Response::json(201, {{"id", row->i64(0)},
                                {"code", *code},
                                {"name", *name},
                                {"parent_id", parent ? json(*parent) : json()}});
  });

  api.secured("GET", "/api/v1/audit", [&db, &reads](Request& r, const Actor& a) {
    if (auto ok = require(a, Permission::audit_read); !ok) return reply(ok.error(), r);
    if (auto ok =
            http::only_params(r, {"patron_id", "actor", "from", "to", "action", "cursor", "limit"});
        !ok)
      return reply(ok.error(), r);
    audit::Query q;
    auto pid = http::int_param(r, "patron_id");
    if (!pid) return reply(pid.error(), r);
    q.patron_id = *pid;
    if (auto v = r.param("actor"); v && !v->empty()) q.actor = *v;
    if (auto v = r.param("action"); v && !v->empty()) q.action = *v;
    for (auto [name, out] : {std::pair{"from", &q.from}, std::pair{"to", &q.to}}) {
      auto v = r.param(name);
      if (!v || v->empty()) continue;
      auto t = parse_time(*v);
      if (!t) return reply(Error{ErrorCode::invalid, "must be an ISO 8601 date or time", name}, r);
      *out = format_time(*t);
    }
    auto before = http::id_cursor_param(r);
    if (!before) return reply(before.error(), r);
    q.before_seq = *before;
    auto limit = http::limit_param(r, 50, 500);
    if (!limit) return reply(limit.error(), r);
    q.limit = *limit;
    auto tx = db.begin(store::TxMode::read);
    if (!tx) return reply(tx.error(), r);
    auto page = audit::list(**tx, q);
    if (!page) return reply(page.error(), r);
    if (auto s = patrons::add_patron_names(**tx, a, &reads, page->items, "audit"); !s)
      return reply(s.error(), r);
    return Response::json(200,
                          {{"items", page->items},
                           {"next_cursor", page->next_cursor ? json(*page->next_cursor) : json()}});
  });
}

}  // namespace dangan::auth
