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
#include "core/result.h"
#include "store/db.h"

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

using body::is_one_of;
using body::one_of;
using body::only_fields;
using body::optional_id;
using body::optional_text;
using body::required_text;

// An existing active user (assignee, team manager), for `field`.
Status check_user(store::Tx& tx, std::int64_t id, const char* field);

json opt(const std::optional<std::string>& v);
json opt(const std::optional<std::int64_t>& v);

}  // namespace dangan::service::detail
