#include "service/channels_api.h"

#include <sodium.h>

#include "catalogue/attachments.h"
#include "service/internal.h"

namespace dangan::service {

using json = nlohmann::json;
using http::reply;
using http::Request;
using http::Response;

namespace {

Response error_with_status(unsigned status, const Error& e) {
  return Response::json(
      status,
      {{"error", {{"code", to_string(e.code)}, {"message", e.message}, {"field", e.field}}}});
}

Response unauthorised(const std::string& message, const std::string& field) {
  return error_with_status(401, {ErrorCode::unauthenticated, message, field});
}

constexpr long kWebhookSkewSeconds = 300;

// The gateway's message: {message_id, from, text; name, subject, platform (social),
// sent_at}. From a social platform the address is "platform:handle" unless `from` is
// a phone number.
Result<Inbound> gateway_message(const std::string& channel, const json& body) {
  TRY_STATUS(body::only_fields(
      body, {"message_id", "from", "name", "text", "subject", "platform", "sent_at"}));
  Inbound in;
  in.channel = channel;
  in.external_id = TRY(body::required_text(body, "message_id", 200));
  std::string from = TRY(body::required_text(body, "from", 200));
  in.body = TRY(body::required_text(body, "text", 20000));
  in.display_name = TRY(body::optional_text(body, "name", 200)).value_or("");
  in.subject = TRY(body::optional_text(body, "subject", 200)).value_or("");
  auto platform = TRY(body::optional_text(body, "platform", 40));
  if (auto sent = TRY(body::optional_text(body, "sent_at", 40))) {
    auto tp = parse_time(*sent);
    if (!tp) return invalid("sent_at", "an ISO 8601 time");
    in.occurred_at = format_time(*tp);
  }
  if (channel == "sms" || normalize_address("phone", from)) {
    if (!normalize_address("phone", from)) return invalid("from", "not a phone number");
    in.address = from;
    in.address_kind = "phone";
  } else {
    if (!platform) return invalid("platform", "which platform the handle is on (e.g. weibo)");
    in.address = *platform + ":" + from;
    in.address_kind = "handle";
  }
  return in;
}

}  // namespace

std::string webhook_signature(const std::string& secret, const std::string& timestamp,
                              const std::string& body) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  std::string signed_text = timestamp + "." + body;
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(signed_text.data()),
                                signed_text.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

void register_channel_routes(http::Api& api, Contacts& c, Mail& mail, TicketFiles& files,
                             const Config& config, const Clock& clock) {
  // Interactions.
  api.secured_json("GET", "/api/v1/interactions", [&c](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"patron_id", "prospect_id", "ticket_id", "channel",
                                     "direction", "since", "until", "q", "cursor", "limit"}));
    InteractionQuery q;
    q.patron_id = TRY(http::int_param(r, "patron_id"));
    q.prospect_id = TRY(http::int_param(r, "prospect_id"));
    q.ticket_id = TRY(http::int_param(r, "ticket_id"));
    q.channel = http::text_param(r, "channel");
    q.direction = http::text_param(r, "direction");
    q.since = http::text_param(r, "since");
    q.until = http::text_param(r, "until");
    q.q = http::text_param(r, "q").value_or("");
    q.cursor = TRY(http::cursor_param(r));
    q.limit = TRY(http::limit_param(r));
    return c.list(a, q);
  });
  api.secured_json(
      "POST", "/api/v1/interactions",
      [&c](Request& r, const Actor& a) -> Result<json> {
        return c.record(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("GET", "/api/v1/interactions/{id}",
                   [&c](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return c.get(a, TRY(http::id_path(r)));
                   });
  api.secured_json(
      "POST", "/api/v1/interactions/{id}/ticket",
      [&c](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        return c.open_ticket(a, id, TRY(http::json_body(r)));
      },
      201);

  // Prospects.
  api.secured_json("GET", "/api/v1/prospects", [&c](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"q", "status", "cursor", "limit"}));
    return c.list_prospects(a, http::text_param(r, "q").value_or(""),
                            http::text_param(r, "status").value_or("open"),
                            TRY(http::cursor_param(r)), TRY(http::limit_param(r)));
  });
  api.secured_json("GET", "/api/v1/prospects/{id}",
                   [&c](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return c.get_prospect(a, TRY(http::id_path(r)));
                   });
  api.secured_json("POST", "/api/v1/prospects/{id}/merge",
                   [&c](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return c.merge_prospect(a, id, TRY(http::json_body(r)));
                   });

  // E-mail.
  api.secured_json("GET", "/api/v1/tickets/{id}/mail",
                   [&mail](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return mail.ticket_mail(a, TRY(http::id_path(r)));
                   });
  api.secured_json("GET", "/api/v1/mail/outbox",
                   [&mail](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {"status", "cursor", "limit"}));
                     return mail.outbox(a, http::text_param(r, "status"),
                                        TRY(http::cursor_param(r)), TRY(http::limit_param(r)));
                   });
  api.secured_json("POST", "/api/v1/mail/outbox/{id}/retry",
                   [&mail](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return mail.retry(a, TRY(http::id_path(r)));
                   });
  api.secured_json("POST", "/api/v1/mail/sweep",
                   [&mail](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return mail.sweep_now(a);
                   });

  // Files on tickets.
  api.secured_json("GET", "/api/v1/tickets/{id}/attachments",
                   [&files](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return files.list(a, TRY(http::id_path(r)));
                   });
  api.secured("POST", "/api/v1/tickets/{id}/attachments", [&files](Request& r, const Actor& a) {
    if (auto s = http::only_params(r, {"filename", "message_id"}); !s) return reply(s.error(), r);
    auto id = http::id_path(r);
    if (!id) return reply(id.error(), r);
    if (r.body.size() > files.max_bytes())
      return error_with_status(413, {ErrorCode::invalid,
                                     "the file is larger than the limit of " +
                                         std::to_string(files.max_bytes()) + " bytes",
                                     "file"});
    auto message_id = http::int_param(r, "message_id");
    if (!message_id) return reply(message_id.error(), r);
    auto made = files.upload(a, *id, *message_id, r.param("filename").value_or(""), r.body);
    if (!made) {
      // Infected: 422, as for catalogue attachments.
      const Error& e = made.error();
      if (e.field == "file" && e.message.starts_with(catalogue::attachments::kInfectedMessage))
        return error_with_status(422, e);
      return reply(e, r);
    }
    return Response::json(201, *made);
  });
  api.secured("GET", "/api/v1/ticket-attachments/{id}/content",
              [&files](Request& r, const Actor& a) {
                if (auto s = http::only_params(r, {}); !s) return reply(s.error(), r);
                auto id = http::id_path(r);
                if (!id) return reply(id.error(), r);
                auto d = files.download(a, *id);
                if (!d) return reply(d.error(), r);
                Response resp = Response::text(200, std::move(d->body), d->content_type);
                resp.set_header("Content-Disposition", d->filename);
                resp.set_header("Content-Security-Policy", "sandbox; default-src 'none'");
                return resp;
              });

  // D31: SMS and social messages from the gateway, signed with the shared secret.
  std::string secret = config.channel_webhook_secret;
  api.open("POST", "/api/v1/channels/{channel}/inbound", [&c, secret, &clock](Request& r) {
    if (secret.empty()) return unauthorised("the gateway webhook is not configured", "signature");
    auto ts = r.header("X-Dangan-Timestamp");
    auto sig = r.header("X-Dangan-Signature");
    if (!ts || !sig) return unauthorised("sign the request", "signature");
    char* end = nullptr;
    long long t = std::strtoll(ts->c_str(), &end, 10);
    long long now =
        std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
    if (ts->empty() || *end || std::llabs(now - t) > kWebhookSkewSeconds)
      return unauthorised("the timestamp is missing or too far from now", "timestamp");
    std::string given = *sig;
    if (given.rfind("sha256=", 0) == 0) given = given.substr(7);
    std::string want = webhook_signature(secret, *ts, r.body);
    if (given.size() != want.size() || sodium_memcmp(given.data(), want.data(), want.size()) != 0)
      return unauthorised("bad signature", "signature");
    // Only a signed caller learns which channels exist.
    std::string channel = r.path_params["channel"];
    if (channel != "sms" && channel != "social")
      return Response::error({ErrorCode::not_found, "no such channel; use sms or social", ""});
    auto body = http::json_body(r);
    if (!body) return reply(body.error(), r);
    auto in = gateway_message(channel, *body);
    if (!in) return reply(in.error(), r);
    auto got = c.receive(*in);
    if (!got) return reply(got.error(), r);
    // A replay, or the gateway's retry, records nothing new: 200 either way so it stops.
    return Response::json(got->duplicate ? 200 : 201,
                          {{"interaction_id", got->interaction_id}, {"duplicate", got->duplicate}});
  });
}

}  // namespace dangan::service
