// auth.h — staff and portal accounts, sessions, roles and what each role may do.
//
// Accounts: a username, one role, an argon2id password hash (at least 12 characters),
// optionally a unit (D6) and, for portal accounts, the patron they are.
// Sessions live in the database (so several server processes share them): only the
// SHA-256 of a token is stored. A session ends at logout, at a password change, after
// `session_idle_minutes` without use, or `session_absolute_hours` after login.
// Log-in failures count per account: after `lockout_threshold` in a row the account is
// locked for `lockout_minutes`; attempts are also limited per client address per
// minute (a counter in the database, shared by every process).
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/actor.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::auth {

enum class Permission {
  patron_read,    // see patrons (masked per role)
  patron_write,   // create, update, relations, contact validity
  patron_reveal,  // unmask a field, with a reason
  patron_merge,
  patron_erase,
  patron_export,
  key_change_decide,  // approve or reject a key-field correction (D11)
  audit_read,
  user_admin,
  unit_admin,
  // The catalogue (issue 4).
  record_read,        // see catalogue entries of open and controlled records
  record_secret,      // see secret (涉密) records and their content
  record_write,       // create, change, close, move, relate records; attachments
  catalogue_config,   // fonds, categories, retention periods, reference schemes, locations
  appraisal_propose,  // put a record up for appraisal with an outcome
  appraisal_decide,   // approve or reject an appraisal; approving a disposal destroys content
  record_transfer,    // import and export records in bulk
  search_demand,      // read the unmet-demand report
  // The service desk (issue 5).
  ticket_read,          // see tickets and their threads (reports only if confidential)
  ticket_write,         // open, answer, assign, resolve, close, reopen tickets
  ticket_confidential,  // see reports (举报) not assigned to oneself
  ticket_escalation,    // acknowledge SLA escalations (they go to managers)
  service_config,       // working hours, holidays, SLA policies, teams, standard answers
  export_approve,       // approve or reject another user's bulk export request (D42)
  board_moderate,       // publish or reject message-board posts, answer them on the board
  faq_approve,          // approve, reject or retire FAQ entries (not one's own proposal)
  // The loans desk (借阅).
  loan_read,        // see loans
  loan_write,       // lend open records, renew, take back
  loan_restricted,  // lend controlled and secret records (the approval, with a note)
  problem_manage,       // problems, improvement actions, cause codes on the desk (D13)
  quality_review,       // QA reviews, coaching notes, training records (D14)
  service_report,       // cause trends, agents' QA scores, touchpoint report (D13, D14, D32)
  trace_report,         // read the portal feature-use report (trace points, D33)
};

// The permission matrix for staff roles; portal (patron) accounts are handled by the
// modules, which allow a patron only their own record.
bool allowed(Role role, Permission p);
Status require(const Actor& actor, Permission p);

struct User {
  std::int64_t id = 0;
  std::string username, display_name;
  Role role = Role::agent;
  std::optional<std::int64_t> unit_id;
  bool unit_scoped = false;
  std::optional<std::int64_t> patron_id;
  bool disabled = false;
  std::string created_at;
};
nlohmann::json to_json(const User& u);

struct NewUser {
  std::string username, display_name, password;
  Role role = Role::agent;
  std::optional<std::int64_t> unit_id;
  bool unit_scoped = false;
  std::optional<std::int64_t> patron_id;
  std::string password_hash;  // set by hash_new_password; create_user hashes when empty
};

Status check_password_policy(const std::string& username, const std::string& password);
// Checks the username and the password policy and hashes the password (argon2id, about a
// second of CPU), so callers do it BEFORE opening the write transaction: hashing inside
// it held SQLite's write lock for that long, stalling every other writer (and parallel
// `dangan user add` processes past their busy timeout: "database is locked").
Status hash_new_password(NewUser& u);
Result<User> create_user(store::Tx& tx, const NewUser& u, const Clock& clock = system_clock());
Result<std::vector<User>> list_users(store::Tx& tx);
Result<User> find_user(store::Tx& tx, const std::string& username);
Result<User> get_user(store::Tx& tx, std::int64_t id);
// Disabling ends the user's sessions.
Status set_disabled(store::Tx& tx, std::int64_t id, bool disabled);

struct Session {
  std::string token;  // only returned at login
  std::string csrf_token;
  std::string expires_at;  // absolute expiry
  User user;
};

class Sessions {
 public:
  Sessions(store::Database& db, const Config& config, const Clock& clock = system_clock());
  // Fails with unauthenticated (wrong name or password: one message for both),
  // too_many_requests (locked or rate-limited; message says when to retry).
  Result<Session> login(const std::string& username, const std::string& password,
                        const std::string& client, const std::string& request_id);
  // The actor for a bearer or cookie token, and the session's CSRF token.
  Result<std::pair<Actor, std::string>> authenticate(const std::string& token);
  // Whether the session is still valid, without counting as activity: a long-lived
  // stream checks this so an unattended page does not keep its session alive.
  Status still_valid(const std::string& token);
  Status logout(const std::string& token, const Actor& actor);
  // Checks the current password, sets the new one and ends every session of the user.
  Status change_password(const Actor& actor, const std::string& current, const std::string& next);
  // Drops what this process remembers of the user's sessions (after disabling them).
  void forget_user(std::int64_t user_id);
  // The same for the portal accounts of a patron (after erasure).
  void forget_patron(std::int64_t patron_id);

 private:
  // A session this process checked recently (see Config::session_cache_ms).
  struct Cached {
    Actor actor;
    std::string csrf_token, expires_at;
    TimePoint last_seen;
    std::chrono::steady_clock::time_point checked;
  };
  Result<bool> rate_limited(store::Tx& tx, const std::string& key, int limit);
  store::Database& db_;
  Config config_;
  const Clock& clock_;
  std::string dummy_hash_;  // verified against for unknown users, so timing does not tell
  std::mutex cache_mu_;
  std::unordered_map<std::string, Cached> cache_;  // by token hash
};

}  // namespace dangan::auth
