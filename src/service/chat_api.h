// chat_api.h — routes under /api/v1 for live chat (starting a chat, the agents' queue,
// accepting, lines of the chat, a ticket's event stream over server-sent events, agent
// availability), routing rules, service tiers and the portal's notices. The rules live
// in chat.h and routing.h.
#pragma once
#include "http/api.h"
#include "service/chat.h"
#include "service/routing.h"

namespace dangan::service {

void register_chat_routes(http::Api& api, Chats& chats, Routing& routing);

}  // namespace dangan::service
