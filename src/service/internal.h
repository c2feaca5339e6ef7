// internal.h — what the service desk's source files share; not for other modules.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "auth/auth.h"
#include "core/actor.h"
#include "core/body.h"
#include "core/cursor.h"
#include "core/result.h"
#include "store/db.h"
#include "store/keyset.h"

namespace dangan::service::detail {

using json = nlohmann::json;

inline const std::initializer_list<std::string_view> kKinds = {"consultation", "complaint",
                                                               "suggestion", "request", "report"};
inline const std::initializer_list<std::string_view> kPriorities = {"low", "normal", "high",
                                                                    "urgent"};
inline const std::initializer_list<std::string_view> kChannels = {
    "counter",         "phone",  "email", "web_form", "chat", "message_board",
    "instant_message", "letter", "sms",   "social",   "fax"};

// Staff with `p`; portal accounts are refused.
Status staff_may(const Actor& by, auth::Permission p);

// Keyset paging by id, newest first (core/cursor.h: an id cursor). The cursor is the last id
// of the previous page (0 when there is none); anything but a positive integer is a 400 on
// `cursor`.
Result<std::int64_t> after_id(const std::optional<std::string>& cursor);
// The list answer for rows fetched with LIMIT limit + 1 (the id in column 0): `items` (the
// first `limit` rows, already converted) and `next_cursor` (null on the last page).
json id_page(json items, const store::Rows& rows, int limit);
// Keyset paging by (time, id) (core/cursor.h: a key cursor [time, id]): the last row of the
// previous page, none on the first page; add store::after_key(...) to the WHERE.
Result<std::optional<cursor::Key>> after_time_id(const std::optional<std::string>& cursor);
// id_page for a (key, id) list: next_cursor is [key, id] of the last row kept, the key read
// from column `key_col` (the id from column 0).
json key_page(json items, const store::Rows& rows, int limit, int key_col);

using body::is_one_of;
using body::one_of;
using body::only_fields;
using body::optional_id;
using body::optional_text;
using body::required_text;

// A ticket row as tickets.cpp reads it (kCols there).
struct Ticket {
  std::int64_t id = 0;
  std::string number, kind, priority, status, channel, subject;
  std::optional<std::int64_t> patron_id, team_id, assignee_id, created_by;
  std::string created_at, updated_at, clock_start;
  std::int64_t paused_seconds = 0;
  std::optional<std::string> waiting_since;
  std::string first_response_due, resolution_due;
  std::optional<std::string> first_response_at, resolved_at, closed_at;
  std::int64_t reopen_count = 0;
  bool first_response_breached = false, resolution_breached = false;
  std::optional<std::int64_t> escalated_to;
  std::optional<std::string> escalated_at;
  std::string resolution;
  bool patron_sensitive = false;
  std::string routed_by;  // why routing gave it its team or assignee (routing.h)
};

// The ticket, or not_found.
Result<Ticket> load(store::Tx& tx, std::int64_t id);
// Whether `by` may see the ticket at all; a ticket they may not see does not exist for
// them (not_found), so a report (举报) does not reveal itself. Staff need ticket_read.
Status may_see(const Actor& by, const Ticket& t);
// Appends to the ticket's thread.
Status add_message(store::Tx& tx, std::int64_t ticket_id, const std::string& kind,
                   const std::string& channel, std::optional<std::int64_t> author,
                   const std::string& body, const std::string& now);
// The acting user's id, none for the system.
std::optional<std::int64_t> author_of(const Actor& by);

// An existing active user (assignee, team manager), for `field`.
Status check_user(store::Tx& tx, std::int64_t id, const char* field);

json opt(const std::optional<std::string>& v);
json opt(const std::optional<std::int64_t>& v);

}  // namespace dangan::service::detail
