#include "auth/auth.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "audit/audit.h"
#include "core/crypto.h"
#include "text/text.h"

namespace dangan::auth {
namespace {

using namespace std::chrono;

std::string user_columns() {
  return "id, username, display_name, role, unit_id, unit_scoped, patron_id, disabled, created_at";
}

User user_from(const store::Row& r) {
  User u;
  u.id = r.i64(0);
  u.username = r.str(1);
  u.display_name = r.str(2);
  u.role = parse_role(r.str(3)).value_or(Role::agent);
  u.unit_id = r.opt_i64(4);
  u.unit_scoped = r.i64(5) != 0;
  u.patron_id = r.opt_i64(6);
  u.disabled = r.i64(7) != 0;
  u.created_at = r.str(8);
  return u;
}

Actor actor_of(const User& u) {
  Actor a;
  a.user_id = u.id;
  a.username = u.username;
  a.role = u.role;
  a.unit_id = u.unit_id;
  a.unit_scoped = u.unit_scoped;
  a.patron_id = u.patron_id;
  return a;
}

bool valid_username(const std::string& s) {
  if (s.size() < 2 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '@';
  });
}

}  // namespace

bool allowed(Role role, Permission p) {
  using R = Role;
  switch (p) {
    case Permission::patron_read:
      return role == R::administrator || role == R::archivist || role == R::agent ||
             role == R::manager || role == R::analyst;
    case Permission::patron_write:
      return role == R::archivist || role == R::agent || role == R::manager;
    case Permission::patron_reveal:
      return role == R::archivist || role == R::agent || role == R::manager;
    case Permission::patron_merge:
      return role == R::archivist || role == R::manager;
    case Permission::patron_erase:
    case Permission::patron_export:
      return role == R::manager;
    case Permission::key_change_decide:
      return role == R::archivist || role == R::manager;
    case Permission::audit_read:
      return role == R::auditor;
    case Permission::user_admin:
    case Permission::unit_admin:
      return role == R::administrator;
    case Permission::record_read:
      return role == R::administrator || role == R::archivist || role == R::agent ||
             role == R::manager || role == R::analyst;
    case Permission::record_secret:
      return role == R::archivist || role == R::manager;
    case Permission::record_write:
    case Permission::appraisal_propose:
      return role == R::archivist;
    case Permission::catalogue_config:
      return role == R::administrator || role == R::archivist;
    case Permission::appraisal_decide:
    case Permission::export_approve:
      return role == R::manager;
    case Permission::record_transfer:
      return role == R::archivist || role == R::manager;
    case Permission::search_demand:
      return role == R::archivist || role == R::manager || role == R::analyst;
    case Permission::ticket_read:
    case Permission::ticket_write:
      return role == R::agent || role == R::archivist || role == R::manager;
    case Permission::ticket_confidential:
    case Permission::ticket_escalation:
      return role == R::manager;
    case Permission::service_config:
      return role == R::administrator || role == R::manager;
    case Permission::board_moderate:
      return role == R::agent || role == R::manager;
    case Permission::faq_approve:
      return role == R::manager;
    case Permission::loan_read:
    case Permission::loan_write:
      return role == R::agent || role == R::archivist || role == R::manager;
    case Permission::loan_restricted:
      return role == R::manager;
    case Permission::problem_manage:
    case Permission::quality_review:
      return role == R::manager;
    case Permission::service_report:
    case Permission::trace_report:
      return role == R::manager || role == R::analyst;
  }
  return false;
}

Status require(const Actor& actor, Permission p) {
  if (actor.role == Role::system || allowed(actor.role, p)) return {};
  return forbidden("your role (" + std::string(to_string(actor.role)) + ") may not do this");
}

nlohmann::json to_json(const User& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"display_name", u.display_name},
          {"role", to_string(u.role)},
          {"unit_id", u.unit_id ? nlohmann::json(*u.unit_id) : nlohmann::json()},
          {"unit_scoped", u.unit_scoped},
          {"patron_id", u.patron_id ? nlohmann::json(*u.patron_id) : nlohmann::json()},
          {"disabled", u.disabled},
          {"created_at", u.created_at}};
}

Status check_password_policy(const std::string& username, const std::string& password) {
  long len = text::utf8_length(password);
  if (len < 0) return invalid("password", "password must be valid UTF-8");
  if (len < 12) return invalid("password", "password must have at least 12 characters");
  if (len > 128) return invalid("password", "password must have at most 128 characters");
  if (text::fold(password) == text::fold(username))
    return invalid("password", "password must differ from the username");
  return {};
}

Status hash_new_password(NewUser& u) {
  if (!valid_username(u.username)) return invalid("username", "2 to 64 letters, digits or . _ - @");
  TRY_STATUS(check_password_policy(u.username, u.password));
  u.password_hash = crypto::hash_password(u.password);
  return {};
}

Result<User> create_user(store::Tx& tx, const NewUser& u, const Clock& clock) {
  if (!valid_username(u.username)) return invalid("username", "2 to 64 letters, digits or . _ - @");
  if (u.display_name.size() > 200) return invalid("display_name", "at most 200 bytes");
  TRY_STATUS(check_password_policy(u.username, u.password));
  if (u.role == Role::patron && !u.patron_id)
    return invalid("patron_id", "a portal account must name its patron");
  if (u.role != Role::patron && u.patron_id)
    return invalid("patron_id", "only portal accounts belong to a patron");
  if (u.patron_id) {
    auto p = TRY(tx.maybe_one("SELECT status FROM patrons WHERE id = ?", {*u.patron_id}));
    if (!p || p->str(0) != "active") return invalid("patron_id", "no such active patron");
  }
  if (u.unit_id) {
    auto unit = TRY(tx.maybe_one("SELECT id FROM units WHERE id = ?", {*u.unit_id}));
    if (!unit) return invalid("unit_id", "no such unit");
  }
  std::string now = format_time(clock.now());
  auto r = tx.one(
      "INSERT INTO users (username, display_name, role, unit_id, unit_scoped, patron_id, "
      "password_hash, password_changed_at, created_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING " +
          user_columns(),
      {u.username, u.display_name, std::string(to_string(u.role)), store::opt(u.unit_id),
       std::int64_t(u.unit_scoped), store::opt(u.patron_id),
       u.password_hash.empty() ? crypto::hash_password(u.password) : u.password_hash, now, now},
      "user");
  if (!r) {
    if (r.error().code == ErrorCode::conflict)
      return conflict("a user with this username exists", "username");
    return std::unexpected(r.error());
  }
  return user_from(*r);
}

Result<std::vector<User>> list_users(store::Tx& tx) {
  auto rows = TRY(tx.query("SELECT " + user_columns() + " FROM users ORDER BY id", {}));
  std::vector<User> out;
  for (auto& r : rows) out.push_back(user_from(r));
  return out;
}

Result<User> find_user(store::Tx& tx, const std::string& username) {
  auto r = TRY(
      tx.one("SELECT " + user_columns() + " FROM users WHERE username = ?", {username}, "user"));
  return user_from(r);
}

Result<User> get_user(store::Tx& tx, std::int64_t id) {
  auto r = TRY(tx.one("SELECT " + user_columns() + " FROM users WHERE id = ?", {id}, "user"));
  return user_from(r);
}

Status set_disabled(store::Tx& tx, std::int64_t id, bool disabled) {
  auto n = TRY(tx.exec("UPDATE users SET disabled = ? WHERE id = ?", {std::int64_t(disabled), id}));
  if (n == 0) return not_found("no such user");
  if (disabled) TRY(tx.exec("UPDATE sessions SET revoked = 1 WHERE user_id = ?", {id}));
  return {};
}

Sessions::Sessions(store::Database& db, const Config& config, const Clock& clock)
    : db_(db),
      config_(config),
      clock_(clock),
      dummy_hash_(crypto::hash_password(crypto::random_hex(16))) {}

Result<bool> Sessions::rate_limited(store::Tx& tx, const std::string& key, int limit) {
  // Fixed one-minute windows in the shared counters table; one atomic upsert, so
  // processes counting the same key at once neither race nor conflict.
  std::string window = format_time(floor<minutes>(clock_.now()));
  auto row =
      TRY(tx.one("INSERT INTO counters (key, window_start, count) VALUES (?, ?, 1) "
                 "ON CONFLICT (key) DO UPDATE SET "
                 "count = CASE WHEN counters.window_start = excluded.window_start "
                 "THEN counters.count + 1 ELSE 1 END, window_start = excluded.window_start "
                 "RETURNING count",
                 {key, window}, "counter"));
  return row.i64(0) > limit;
}

Result<Session> Sessions::login(const std::string& username, const std::string& password,
                                const std::string& client, const std::string& request_id) {
  auto now = clock_.now();
  std::string now_text = format_time(now);
  auto deny = fail(ErrorCode::unauthenticated, "wrong username or password");

  // Phase 1 (short write transaction): rate limit and account state.
  std::optional<User> user;
  std::string hash;
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    bool limited = TRY(rate_limited(*tx, "login:" + client, config_.login_rate_per_minute));
    if (limited) {
      TRY_STATUS(tx->commit());
      return fail(ErrorCode::too_many_requests,
                  "too many log-in attempts from your address; try again in a minute");
    }
    auto row = TRY(tx->maybe_one(
        "SELECT " + user_columns() + ", password_hash, locked_until FROM users WHERE username = ?",
        {username}));
    if (row) {
      user = user_from(*row);
      hash = row->str(9);
      if (auto until = row->opt_str(10); until && *until > now_text) {
        TRY_STATUS(tx->commit());
        return fail(ErrorCode::too_many_requests,
                    "this account is locked after repeated failed log-ins until " + *until);
      }
    }
    TRY_STATUS(tx->commit());
  }

  // Phase 2: the slow hash, outside any transaction.
  bool ok = crypto::verify_password(user ? hash : dummy_hash_, password);
  if (user && user->disabled) ok = false;

  auto tx = TRY(db_.begin(store::TxMode::write));
  Actor actor = user ? actor_of(*user) : Actor{};
  actor.request_id = request_id;
  if (!user) actor.username = "unknown";
  if (!ok) {
    if (user) {
      auto r =
          TRY(tx->one("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? "
                      "RETURNING failed_logins",
                      {user->id}, "user"));
      if (r.i64(0) >= config_.lockout_threshold) {
        TRY(tx->exec("UPDATE users SET locked_until = ?, failed_logins = 0 WHERE id = ?",
                     {format_time(now + minutes(config_.lockout_minutes)), user->id}));
        TRY_STATUS(
            audit::append(*tx, actor, {"user.locked", "user", std::to_string(user->id)}, clock_));
      }
    }
    TRY_STATUS(audit::append(
        *tx, actor, {"user.login_failed", "user", user ? std::to_string(user->id) : ""}, clock_));
    TRY_STATUS(tx->commit());
    return deny;
  }
  TRY(tx->exec("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", {user->id}));
  Session s;
  s.token = crypto::random_hex(32);
  s.csrf_token = crypto::random_hex(32);
  s.expires_at = format_time(now + hours(config_.session_absolute_hours));
  s.user = *user;
  TRY(tx->exec(
      "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, "
      "expires_at) VALUES (?,?,?,?,?,?)",
      {crypto::sha256_hex(s.token), user->id, s.csrf_token, now_text, now_text, s.expires_at}));
  TRY_STATUS(audit::append(*tx, actor, {"user.login", "user", std::to_string(user->id)}, clock_));
  TRY_STATUS(tx->commit());
  return s;
}

Result<std::pair<Actor, std::string>> Sessions::authenticate(const std::string& token) {
  auto unauth = fail(ErrorCode::unauthenticated, "sign in first (session missing or expired)");
  if (token.size() != 64) return unauth;
  auto now = clock_.now();
  std::string key = crypto::sha256_hex(token);
  auto steady = std::chrono::steady_clock::now();
  if (config_.session_cache_ms > 0) {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      const Cached& c = it->second;
      bool fresh = steady - c.checked < milliseconds(config_.session_cache_ms);
      bool needs_touch = c.last_seen + minutes(1) <= now;
      if (fresh && !needs_touch) {
        if (c.expires_at <= format_time(now) ||
            c.last_seen + minutes(config_.session_idle_minutes) <= now)
          return unauth;
        return std::pair{c.actor, c.csrf_token};
      }
      cache_.erase(it);
    }
  }
  std::optional<store::Row> row;
  {
    auto tx = TRY(db_.begin(store::TxMode::read));
    row = TRY(tx->maybe_one(
        "SELECT s.csrf_token, s.last_seen_at, s.expires_at, s.revoked, u.id, u.username, "
        "u.display_name, u.role, u.unit_id, u.unit_scoped, u.patron_id, u.disabled, u.created_at "
        "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
        {key}));
  }
  if (!row || row->i64(3) != 0 || row->i64(11) != 0) return unauth;
  std::string now_text = format_time(now);
  if (row->str(2) <= now_text) return unauth;
  auto last_seen = parse_time(row->str(1));
  if (!last_seen || *last_seen + minutes(config_.session_idle_minutes) <= now) return unauth;
  // Touch at most once a minute so that reads stay reads.
  if (*last_seen + minutes(1) <= now) {
    auto tx = TRY(db_.begin(store::TxMode::write));
    TRY(tx->exec("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", {now_text, key}));
    TRY_STATUS(tx->commit());
    last_seen = now;
  }
  User u;
  u.id = row->i64(4);
  u.username = row->str(5);
  u.display_name = row->str(6);
  u.role = parse_role(row->str(7)).value_or(Role::agent);
  u.unit_id = row->opt_i64(8);
  u.unit_scoped = row->i64(9) != 0;
  u.patron_id = row->opt_i64(10);
  Actor actor = actor_of(u);
  if (config_.session_cache_ms > 0) {
    std::lock_guard lock(cache_mu_);
    if (cache_.size() > 100000) cache_.clear();  // bounded; refilled from the database
    cache_[key] = Cached{actor, row->str(0), row->str(2), *last_seen, steady};
  }
  return std::pair{actor, row->str(0)};
}

Status Sessions::still_valid(const std::string& token) {
  auto unauth = fail(ErrorCode::unauthenticated, "sign in first (session missing or expired)");
  if (token.size() != 64) return unauth;
  auto now = clock_.now();
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto row = TRY(tx->maybe_one(
      "SELECT s.last_seen_at, s.expires_at, s.revoked, u.disabled FROM sessions s JOIN users u ON "
      "u.id = s.user_id WHERE s.token_hash = ?",
      {crypto::sha256_hex(token)}));
  if (!row || row->i64(2) != 0 || row->i64(3) != 0 || row->str(1) <= format_time(now))
    return unauth;
  auto last_seen = parse_time(row->str(0));
  if (!last_seen || *last_seen + minutes(config_.session_idle_minutes) <= now) return unauth;
  return {};
}

void Sessions::forget_user(std::int64_t user_id) {
  std::lock_guard lock(cache_mu_);
  std::erase_if(cache_, [&](const auto& kv) { return kv.second.actor.user_id == user_id; });
}

void Sessions::forget_patron(std::int64_t patron_id) {
  std::lock_guard lock(cache_mu_);
  std::erase_if(cache_, [&](const auto& kv) { return kv.second.actor.patron_id == patron_id; });
}

Status Sessions::logout(const std::string& token, const Actor& actor) {
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(tx->exec("UPDATE sessions SET revoked = 1 WHERE token_hash = ?",
               {crypto::sha256_hex(token)}));
  TRY_STATUS(
      audit::append(*tx, actor, {"user.logout", "user", std::to_string(actor.user_id)}, clock_));
  TRY_STATUS(tx->commit());
  std::lock_guard lock(cache_mu_);
  cache_.erase(crypto::sha256_hex(token));
  return {};
}

Status Sessions::change_password(const Actor& actor, const std::string& current,
                                 const std::string& next) {
  std::string hash;
  {
    auto tx = TRY(db_.begin(store::TxMode::read));
    auto r = TRY(tx->one("SELECT password_hash FROM users WHERE id = ?", {actor.user_id}, "user"));
    hash = r.str(0);
  }
  if (!crypto::verify_password(hash, current))
    return invalid("current_password", "the current password is wrong");
  if (auto policy = check_password_policy(actor.username, next); !policy)
    return invalid("new_password", policy.error().message);
  if (current == next) return invalid("new_password", "the new password must differ");
  const std::string next_hash = crypto::hash_password(next);  // before the write lock
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(tx->exec("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
               {next_hash, format_time(clock_.now()), actor.user_id}));
  TRY(tx->exec("UPDATE sessions SET revoked = 1 WHERE user_id = ?", {actor.user_id}));
  TRY_STATUS(audit::append(
      *tx, actor, {"user.password_changed", "user", std::to_string(actor.user_id)}, clock_));
  TRY_STATUS(tx->commit());
  forget_user(actor.user_id);  // after the commit, so no request re-caches the old state
  return {};
}

}  // namespace dangan::auth
