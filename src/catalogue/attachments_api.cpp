#include "catalogue/attachments_api.h"

namespace dangan::catalogue {

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

Response upload(attachments::Service& s, const Config& config, Request& r, const Actor& a) {
  if (auto st = http::only_params(r, {"filename"}); !st) return reply(st.error(), r);
  auto id = http::id_path(r);
  if (!id) return reply(id.error(), r);
  if (r.body.size() > config.max_attachment_bytes)
    return error_with_status(413, {ErrorCode::invalid,
                                   "the file is larger than the limit of " +
                                       std::to_string(config.max_attachment_bytes) + " bytes",
                                   "file"});
  auto created = s.upload(a, *id, r.param("filename").value_or(""), r.body);
  if (!created) {
    const Error& e = created.error();
    if (e.field == "file" && e.message.starts_with(attachments::kInfectedMessage))
      return error_with_status(422, e);
    return reply(e, r);
  }
  Response resp = Response::json(201, *created);
  resp.set_header("Location",
                  "/api/v1/attachments/" + std::to_string((*created)["id"].get<std::int64_t>()));
  return resp;
}

Response content(attachments::Service& s, Request& r, const Actor& a) {
  if (auto st = http::only_params(r, {}); !st) return reply(st.error(), r);
  auto id = http::id_path(r);
  if (!id) return reply(id.error(), r);
  auto d = s.download(a, *id, r.method == "HEAD");
  if (!d) return reply(d.error(), r);
  Response resp = Response::text(200, std::move(d->body), d->content_type);
  resp.set_header("Content-Disposition", d->filename);
  if (!d->watermark.empty()) {
    resp.set_header("X-Dangan-Watermark", d->watermark);
    resp.set_header("X-Dangan-Watermark-Method", d->watermark_method);
  }
  // Never rendered in the application's origin, even by a browser that ignores
  // Content-Disposition.
  resp.set_header("Content-Security-Policy", "sandbox; default-src 'none'");
  return resp;
}

}  // namespace

void register_attachment_routes(http::Api& api, attachments::Service& s, const Config& config) {
  api.secured("POST", "/api/v1/records/{id}/attachments",
              [&s, &config](Request& r, const Actor& a) { return upload(s, config, r, a); });
  api.secured_json("GET", "/api/v1/records/{id}/attachments",
                   [&s](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {"include_removed"}));
                     auto removed = http::text_param(r, "include_removed").value_or("false");
                     if (removed != "true" && removed != "false")
                       return invalid("include_removed", "true or false");
                     return s.list(a, TRY(http::id_path(r)), removed == "true");
                   });
  api.secured_json("GET", "/api/v1/attachments/fixity",
                   [&s](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return s.fixity_report(a);
                   });
  api.secured_json("GET", "/api/v1/attachments/{id}",
                   [&s](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return s.get(a, TRY(http::id_path(r)));
                   });
  api.secured("GET", "/api/v1/attachments/{id}/content",
              [&s](Request& r, const Actor& a) { return content(s, r, a); });
  api.secured_json("GET", "/api/v1/attachments/{id}/signatures",
                   [&s](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {"include_removed"}));
                     auto removed = http::text_param(r, "include_removed").value_or("false");
                     if (removed != "true" && removed != "false")
                       return invalid("include_removed", "true or false");
                     return s.signatures(a, TRY(http::id_path(r)), removed == "true");
                   });
  api.secured_json(
      "POST", "/api/v1/attachments/{id}/signatures",
      [&s](Request& r, const Actor& a) -> Result<json> {
        TRY_STATUS(http::only_params(r, {}));
        auto id = TRY(http::id_path(r));
        auto body = TRY(http::json_body(r));
        TRY_STATUS(
            http::only_fields(body, {"signer", "method", "signed_at", "certificate_ref", "note"}));
        return s.record_signature(a, id, body);
      },
      201);
  api.secured("DELETE", "/api/v1/attachments/{id}/signatures/{signature_id}",
              [&s](Request& r, const Actor& a) {
                auto withdrawn = [&]() -> Status {
                  auto id = TRY(http::id_path(r));
                  auto sid = TRY(http::id_path(r, "signature_id"));
                  auto body = TRY(http::optional_json_body(r));
                  TRY_STATUS(http::only_fields(body, {"reason"}));
                  return s.withdraw_signature(a, id, sid,
                                              TRY(http::string_field(body, "reason", true)));
                }();
                return reply(withdrawn, r);
              });
  api.secured("DELETE", "/api/v1/attachments/{id}", [&s](Request& r, const Actor& a) {
    auto removed = [&]() -> Status {
      auto id = TRY(http::id_path(r));
      auto body = TRY(http::optional_json_body(r));
      TRY_STATUS(http::only_fields(body, {"reason"}));
      return s.remove(a, id, TRY(http::string_field(body, "reason", false)));
    }();
    return reply(removed, r);
  });
}

}  // namespace dangan::catalogue
