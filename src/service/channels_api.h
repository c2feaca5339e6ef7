// channels_api.h — routes for contacts on every channel: interactions, prospects, the
// e-mail outbox and a ticket's mail, files on tickets, and the gateway webhook through
// which SMS and social messages arrive (D31). The rules live in contacts.h, mail.h,
// ticket_files.h.
#pragma once
#include "core/config.h"
#include "http/api.h"
#include "service/contacts.h"
#include "service/mail.h"
#include "service/ticket_files.h"

namespace dangan::service {

void register_channel_routes(http::Api& api, Contacts& contacts, Mail& mail, TicketFiles& files,
                             const Config& config, const Clock& clock = system_clock());

// The webhook's signature: hex HMAC-SHA256 (libsodium) of "<timestamp>.<body>" under
// `secret`. Exposed for tests.
std::string webhook_signature(const std::string& secret, const std::string& timestamp,
                              const std::string& body);

}  // namespace dangan::service
