#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "app/app.h"
#include "app/erasure.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "auth/auth_api.h"
#include "catalogue/attachments.h"
#include "catalogue/attachments_api.h"
#include "catalogue/catalogue.h"
#include "catalogue/catalogue_api.h"
#include "catalogue/collection_api.h"
#include "core/allocator.h"
#include "core/embedded.h"
#include "search/search_api.h"
#include "service/channels_api.h"
#include "service/chat_api.h"
#include "loans/loans_api.h"
#include "service/quality_api.h"
#include "service/onsite_api.h"
#include "service/programs_api.h"
#include "service/service_api.h"
#include "service/staff_directory.h"
#include "service/board_api.h"
#include "sharing/oai_api.h"
#include "http/api.h"
#include "http/http.h"
#include "patrons/patrons.h"
#include "patrons/patrons_api.h"
#include "transfer/transfer_api.h"

namespace dangan::app {

using json = nlohmann::json;

namespace {

std::string content_type(const std::string& path) {
  auto ends = [&](const char* ext) {
    std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".json")) return "application/json";
  if (ends(".ico")) return "image/x-icon";
  return "application/octet-stream";
}

json openapi(const http::Router& router) {
  json paths = json::object();
  for (auto& [method, pattern] : router.routes()) {
    if (pattern.rfind("/api/", 0) != 0 && pattern != "/healthz" && pattern != "/readyz") continue;
    json op = {
        {"operationId", method + " " + pattern},
        {"responses",
         {{"200", {{"description", "success"}}},
          {"4XX",
           {{"description", "bad input or not allowed"},
            {"content",
             {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}}}};
    json params = json::array();
    std::size_t pos = 0;
    while ((pos = pattern.find('{', pos)) != std::string::npos) {
      auto end = pattern.find('}', pos);
      params.push_back({{"name", pattern.substr(pos + 1, end - pos - 1)},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "string"}}}});
      pos = end;
    }
    if (!params.empty()) op["parameters"] = params;
    bool open = pattern == "/api/v1/auth/login" || pattern == "/healthz" || pattern == "/readyz" ||
                pattern == "/api/v1/openapi.json" ||
                // The public message board and FAQ (service/board_api.cpp).
                (method == "GET" &&
                 (pattern == "/api/v1/board/posts" || pattern == "/api/v1/board/posts/{id}" ||
                  pattern == "/api/v1/faq" || pattern == "/api/v1/faq/{id}")) ||
                pattern == "/api/v1/channels/{channel}/inbound";  // signed by the gateway
    if (open) op["security"] = json::array();
    // The catalogue's contract for scripts (issue 4: "keep these exact"): a record as
    // created and read, and the search answer.
    if ((pattern == "/api/v1/records" && method == "POST") ||
        (pattern == "/api/v1/records/{id}" && method == "GET"))
      op["responses"][method == "POST" ? "201" : "200"] = {
          {"description", "the record (a controlled record's catalogue entry for patrons)"},
          {"content",
           {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Record"}}}}}}}};
    if (pattern == "/api/v1/search" && method == "GET") {
      op["responses"]["200"] = {
          {"description", "the page of hits, the total and the facets"},
          {"content",
           {{"application/json",
             {{"schema", {{"$ref", "#/components/schemas/SearchResults"}}}}}}}};
      json qs = json::array();
      auto param = [&](const char* name, json schema, bool required, const char* what) {
        qs.push_back({{"name", name},
                      {"in", "query"},
                      {"required", required},
                      {"description", what},
                      {"schema", std::move(schema)}});
      };
      param("q", {{"type", "string"}}, true, "what to search for: words, pinyin, a reference code");
      param("limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}, {"default", 20}},
            false, "hits on the page");
      param("offset", {{"type", "integer"}, {"minimum", 0}, {"maximum", 10000}}, false,
            "hits to skip");
      param("fonds_id", {{"type", "string"}}, false, "fonds ids, comma-separated");
      param("category_id", {{"type", "string"}}, false, "category ids (with their subtrees)");
      param("year_from", {{"type", "integer"}}, false, "first year");
      param("year_to", {{"type", "integer"}}, false, "last year");
      param("access_level", {{"type", "string"}}, false, "open, controlled, secret (comma-separated)");
      param("carrier", {{"type", "string"}}, false,
            "paper, electronic, photo, audio, video, other (comma-separated)");
      op["parameters"] = qs;
    }
    if (pattern.rfind("/api/v1/patrons", 0) == 0 && (method == "GET" || method == "POST") &&
        (pattern == "/api/v1/patrons/{id}" || (pattern == "/api/v1/patrons" && method == "POST")))
      op["responses"][method == "POST" ? "201" : "200"] = {
          {"description", "the patron as your role may see it"},
          {"content",
           {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Patron"}}}}}}}};
    std::string m = method;
    for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[pattern][m] = op;
  }
  json str = {{"type", "string"}};
  json nstr = {{"type", json::array({"string", "null"})}};
  return {{"openapi", "3.1.0"},
          {"info",
           {{"title", "dangan"},
            {"version", "0.1.0"},
            {"description", "Patron-relationship management for archives and libraries."}}},
          {"paths", paths},
          {"security", json::array({{{"bearer", json::array()}}, {{"cookie", json::array()}}})},
          {"components",
           {{"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
              {"cookie", {{"type", "apiKey"}, {"in", "cookie"}, {"name", http::kSessionCookie}}}}},
            {"schemas",
             {{"Error",
               {{"type", "object"},
                {"required", {"error"}},
                {"properties",
                 {{"error",
                   {{"type", "object"},
                    {"required", {"code", "message", "field"}},
                    {"properties",
                     {{"code",
                       {{"type", "string"},
                        {"enum",
                         {"invalid", "not_found", "conflict", "forbidden", "unauthenticated",
                          "too_many_requests", "unavailable", "internal", "moved"}}}},
                      {"message", str},
                      {"field", str}}}}}}}}},
              {"Patron",
               {{"type", "object"},
                {"required", {"id", "type", "name", "phones", "emails", "id_document"}},
                {"properties",
                 {{"id", {{"type", "integer"}}},
                  {"type", {{"type", "string"}, {"enum", {"person", "organisation"}}}},
                  {"status", {{"type", "string"}, {"enum", {"active", "merged", "erased"}}}},
                  {"name", nstr},
                  {"name_latin", nstr},
                  {"phones", {{"type", "array"}, {"items", str}}},
                  {"emails", {{"type", "array"}, {"items", str}}},
                  {"id_document",
                   {{"type", json::array({"object", "null"})},
                    {"properties", {{"type", str}, {"number", str}}}}},
                  {"tags", {{"type", "array"}, {"items", str}}},
                  {"version", {{"type", "integer"}}},
                  {"masked", {{"type", "array"}, {"items", str}}}}}}},
              {"Record",
               {{"type", "object"},
                {"required", {"id", "reference_code", "title", "access_level", "fonds", "category",
                              "status"}},
                {"properties",
                 {{"id", {{"type", "integer"}}},
                  {"reference_code", str},
                  {"title", str},
                  {"description", str},
                  {"keywords", {{"type", "array"}, {"items", str}}},
                  {"creator", str},
                  {"year", {{"type", json::array({"integer", "null"})}}},
                  {"fonds", {{"type", "object"}}},
                  {"category", {{"type", "object"}}},
                  {"retention", {{"type", "object"}}},
                  {"retention_until", nstr},
                  {"access_level", {{"type", "string"}, {"enum", {"open", "controlled", "secret"}}}},
                  {"carrier", str},
                  {"pages", {{"type", json::array({"integer", "null"})}}},
                  {"patron_id", {{"type", json::array({"integer", "null"})}}},
                  {"important", {{"type", "boolean"}}},
                  {"status", {{"type", "string"}, {"enum", {"active", "closed", "disposed"}}}},
                  {"embargo_until", nstr},
                  {"source_authority", {{"type", "integer"}}},
                  {"use_count", {{"type", "integer"}}},
                  {"version", {{"type", "integer"}}},
                  {"content_hidden", {{"type", "boolean"}}}}}}},
              {"SearchHit",
               {{"type", "object"},
                {"required", {"id", "reference_code", "title", "snippet", "score"}},
                {"properties",
                 {{"id", {{"type", "integer"}}},
                  {"reference_code", str},
                  {"title", str},
                  {"snippet", {{"type", "string"}, {"description", "HTML: <mark> around matches"}}},
                  {"score", {{"type", "number"}}},
                  {"year", {{"type", json::array({"integer", "null"})}}},
                  {"access_level", str},
                  {"carrier", str},
                  {"content_hidden", {{"type", "boolean"}}}}}}},
              {"SearchResults",
               {{"type", "object"},
                {"required", {"items", "total", "facets"}},
                {"properties",
                 {{"items", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/SearchHit"}}}}},
                  {"total", {{"type", "integer"}}},
                  {"total_exact", {{"type", "boolean"}}},
                  {"facets", {{"type", "object"}}},
                  {"search_id",
                   {{"type", json::array({"integer", "null"})},
                    {"description", "null when the search log is written later (docs/search.md)"}}},
                  {"suggestion", nstr}}}}}}}}}};
}

}  // namespace

Result<std::unique_ptr<store::Database>> open_database(const Config& config, bool migrate,
                                                      bool create) {
  store::OpenOptions o;
  o.pool_size = config.db_pool;
  o.migrate = migrate;
  o.create = create;
  return store::open(config.database, o);
}

int serve(const Config& config) {
  auto db = open_database(config, true);
  if (!db) {
    spdlog::critical("event=database_open_failed message=\"{}\"", db.error().message);
    return 1;
  }
  auto listen = split_listen(config.listen);
  if (!listen) {
    spdlog::critical("event=bad_listen message=\"{}\"", listen.error().message);
    return 2;
  }
  audit::ReadRecorder reads(**db);
  auth::Sessions sessions(**db, config);
  patrons::Service patrons(**db, reads);
  patrons.on_portal_revoked([&sessions](std::int64_t id) { sessions.forget_patron(id); });
  catalogue::Service catalogue(**db, reads, config);
  if (auto s = catalogue.ensure_defaults(); !s) {
    spdlog::critical("event=catalogue_defaults_failed field={} message=\"{}\"", s.error().field,
                     s.error().message);
    return 2;
  }

  // The search index follows this build's text preparation (a rebuild after an upgrade).
  if (auto n = search::maintain(**db); !n) {
    spdlog::critical("event=search_maintain_failed message=\"{}\"", n.error().message);
    return 2;
  }

  http::Router router;
  http::Api api(router, sessions, config.trust_proxy);
  auth::register_routes(api, sessions, **db, reads, config);
  patrons::register_routes(api, patrons);
  catalogue::register_routes(api, catalogue);
  // A disposal removes content: the files of blobs nothing uses any more go after commit.
  catalogue.on_content_removed([&db, &config](const std::vector<std::string>& hashes) {
    catalogue::attachments::delete_blob_files(**db, config, hashes);
  });
  // A controlled record's content opens to the patron it is lent to: lending it takes a
  // manager's approval (loans.h).
  catalogue.content_grants(&loans::Desk::lent_to);
  // Search facets show names, not ids: the catalogue names its fonds and categories.
  search::register_search_routes(
      api, **db, config,
      [&catalogue](const std::string& facet, const std::vector<std::int64_t>& ids) -> json {
        auto list = facet == "fonds" ? catalogue.list_fonds(system_actor())
                                     : catalogue.list_categories(system_actor());
        json names = json::object();
        if (!list) return names;
        for (auto& item : (*list)["items"])
          if (std::find(ids.begin(), ids.end(), item["id"].get<std::int64_t>()) != ids.end())
            names[std::to_string(item["id"].get<std::int64_t>())] = item["name"];
        return names;
      },
      [&catalogue](const Actor& patron) {
        auto ids = catalogue.content_granted(patron);
        if (!ids) {
          spdlog::warn("event=content_grants_failed message=\"{}\"", ids.error().message);
          return std::vector<std::int64_t>{};
        }
        return *ids;
      });
  // Trace points (D33): record views and downloads of patrons, queued and written in
  // batches (traces.h).
  service::Traces traces(**db);
  catalogue.on_patron_view(
      [&traces](const Actor& by, std::int64_t id) { traces.record_view(by, id); });
  catalogue::attachments::Hooks hooks;
  hooks.downloaded = [&traces](const Actor& by, std::int64_t record_id, std::int64_t id) {
    traces.download(by, record_id, id);
  };
  hooks.reindex = [&catalogue](store::Tx& tx, std::int64_t record_id) -> Status {
    auto doc = TRY(catalogue.document_of(tx, record_id));
    return search::upsert(tx, doc);
  };
  hooks.count_use = [&catalogue](std::int64_t record_id) {
    if (auto s = catalogue.count_use(record_id); !s)
      spdlog::warn("event=count_use_failed record_id={} message=\"{}\"", record_id,
                   s.error().message);
  };
  hooks.granted = &loans::Desk::lent_to;
  catalogue::attachments::Service attachments(**db, config, hooks);
  catalogue::register_attachment_routes(api, attachments, config);
  catalogue::Collection collection(**db, &reads);
  catalogue::register_collection_routes(api, collection);
  sharing::OaiProvider oai(catalogue, config);
  sharing::register_oai_routes(api, oai, config);
  transfer::Importer importer(**db, catalogue);
  transfer::Exporter exporter(**db, catalogue);
  transfer::ExportRequests exports(**db, exporter, config);  // joins running exports
  exports.resume();
  transfer::ImportRunner imports(importer);  // destroyed first: stops and joins imports
  transfer::register_routes(api, imports, exporter, exports);
  service::Desk desk(**db, reads, config.timezone);
  desk.on_patron_name([&patrons](const Actor& by, std::int64_t id) -> std::optional<std::string> {
    auto p = patrons.get(by, id);
    if (!p || !(*p)["name"].is_string()) return std::nullopt;
    return (*p)["name"].get<std::string>();
  });
  service::register_routes(api, desk);
  service::Board board(**db, reads, desk);
  // The poster's masked name and the name removed from FAQ text: the patron's own name.
  board.on_patron_name([&patrons](std::int64_t id) -> std::optional<std::string> {
    auto p = patrons.get(system_actor(), id);
    if (!p || !(*p)["name"].is_string()) return std::nullopt;
    return (*p)["name"].get<std::string>();
  });
  service::register_board_routes(api, board);
  // Contacts on every channel, e-mail in and out, files on tickets (docs/service.md).
  service::TicketFiles ticket_files(**db, reads, config, attachments.scanner());
  service::Contacts contacts(**db, reads, desk);
  service::Mail mail(**db, desk, contacts, ticket_files, service::mail_settings(config));
  desk.on_reply([&mail](store::Tx& tx, const Actor& by, std::int64_t ticket_id,
                        std::int64_t message_id, const std::string& channel,
                        const std::string& body) {
    return mail.queue_reply(tx, by, ticket_id, message_id, channel, body);
  });
  service::register_channel_routes(api, contacts, mail, ticket_files, config);
  // Mail out and in every 10 s; any process may run it (each message is claimed once).
  std::jthread mail_sweeper([&mail](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    while (!stop.stop_requested()) {
      if (auto n = mail.sweep(); !n)
        spdlog::warn("event=mail_sweep_failed message=\"{}\"", n.error().message);
      std::unique_lock lock(mu);
      cv.wait_for(lock, stop, std::chrono::seconds(10), [] { return false; });
    }
  });
  service::Chats chats(**db, desk, reads);
  service::Routing routing(**db);
  service::register_chat_routes(api, chats, routing);
  service::StaffDirectory staff_directory(**db);
  service::register_staff_routes(api, staff_directory);
  loans::Desk loans_desk(**db, reads, {config.loan_days, config.loan_max_renewals});
  loans_desk.on_lent(hooks.count_use);
  loans::register_routes(api, loans_desk);
  service::Quality quality(**db, reads, desk);
  {
    // Recordings sit beside the attachments' blobs, under the same key, in their own
    // directory (so removing an attachment's blob never touches a recording).
    auto rc = catalogue::blob_store_config(config);
    rc.dir += "-recordings";
    if (!rc.replica_dir.empty()) rc.replica_dir += "-recordings";
    quality.use_recording_store(rc);
  }
  service::register_quality_routes(api, quality, config.max_attachment_bytes);
  // What erasing a patron does beyond the patron record, module by module
  // (patrons/erasure.h); files of their tickets and recordings go after the commit.
  declare_erasure(patrons.erasure(), **db,
                  {&ticket_files.blob_store(), quality.recording_store()});
  service::OnSite onsite(**db, reads, desk);
  service::register_onsite_routes(api, onsite);
  // Knowledge services (D27) name delivered records as the catalogue shows them.
  service::KnowledgeServices knowledge(
      **db, reads, [&catalogue](const Actor& by, std::int64_t id) -> Result<json> {
        auto rec = TRY(catalogue.get_record(by, id));
        return json{{"id", id}, {"reference_code", rec.value("reference_code", "")},
                    {"title", rec["title"].is_string() ? rec["title"] : json("")}};
      });
  service::register_program_routes(api, knowledge, traces);
  // SLA deadlines are checked every 30 s; any process may run the sweep (each breach is
  // claimed once in the database). Once a day (and at start) embargoes that ended are
  // lifted in the search index.
  std::jthread sla_sweeper([&desk, &quality, &catalogue](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::string embargoes_checked;  // the UTC day of the last check
    while (!stop.stop_requested()) {
      if (auto n = desk.sweep(); !n)
        spdlog::warn("event=sla_sweep_failed message=\"{}\"", n.error().message);
      if (auto n = quality.draw_samples(); !n)
        spdlog::warn("event=qa_draw_failed message=\"{}\"", n.error().message);
      if (std::string day = format_time(system_clock().now()).substr(0, 10);
          day != embargoes_checked) {
        if (auto n = catalogue.lift_embargoes(); !n) {
          spdlog::warn("event=embargo_lift_failed message=\"{}\"", n.error().message);
        } else {
          embargoes_checked = day;
          if (*n > 0) spdlog::info("event=embargoes_lifted records={}", *n);
        }
      }
      std::unique_lock lock(mu);
      cv.wait_for(lock, stop, std::chrono::seconds(30), [] { return false; });
    }
  });

  api.open("GET", "/healthz", [](http::Request&) {
    return http::Response::json(200, {{"status", "ok"}});
  });
  api.open("GET", "/readyz", [&db](http::Request&) {
    if (auto s = (*db)->ping(); !s)
      return http::Response::json(503, {{"status", "unavailable"}, {"database", "unreachable"}});
    return http::Response::json(200, {{"status", "ready"}, {"database", "reachable"}});
  });
  // Built on first use, once every route (this one included) is registered.
  auto spec_once = std::make_shared<std::once_flag>();
  auto spec = std::make_shared<json>();
  api.open("GET", "/api/v1/openapi.json", [&router, spec_once, spec](http::Request&) {
    std::call_once(*spec_once, [&] { *spec = openapi(router); });
    return http::Response::json(200, *spec);
  });

  // The web front end: embedded files; unknown non-API paths get the app shell.
  std::map<std::string, std::string_view> files;
  for (auto& f : dangan_web_files()) files["/" + f.path] = f.data;
  auto serve_file = [files](http::Request& r) {
    std::string path = r.path == "/" ? "/index.html" : r.path;
    auto it = files.find(path);
    if (it == files.end()) it = files.find("/index.html");
    if (it == files.end()) return http::Response::error({ErrorCode::not_found, "no such page", ""});
    return http::Response::text(200, std::string(it->second), content_type(it->first));
  };
  for (auto& [path, data] : files) api.open("GET", path, serve_file);
  api.open("GET", "/", serve_file);
  for (auto* page : {"/login", "/patrons", "/patrons/{id}", "/audit", "/users", "/key-changes",
                     "/portal", "/portal/search", "/records", "/records/{id}", "/appraisal",
                     "/locations", "/catalogue-settings", "/search-demand", "/exports",
                     "/tickets", "/tickets/{id}", "/follow-up-visits", "/service-settings",
                     "/portal/questions", "/portal/questions/{id}", "/chats", "/portal/chat",
                     "/board", "/board/{id}", "/prospects", "/faq", "/portal/board",
                     "/board-moderation", "/faq-entries", "/problems", "/problems/{id}", "/qa",
                     "/qa/reviews/{id}", "/cases", "/cases/{id}",
                     "/onsite-visits", "/portal/onsite-visits", "/alerts", "/routing-rules", "/loans"})
    api.open("GET", page, serve_file);
  for (auto* page : {"/knowledge-services", "/knowledge-services/{id}", "/portal/research",
                     "/feature-use"})
    api.open("GET", page, serve_file);

  http::ServerOptions options;
  options.host = listen->first;
  options.port = listen->second;
  options.io_threads = config.io_threads;
  options.worker_threads = config.worker_threads;
  if (options.worker_threads == 0) {
    int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    options.worker_threads = (*db)->backend() == store::Backend::sqlite ? 2 * cores : 8 * cores;
  }
  options.max_body_bytes = config.max_body_bytes;
  // Attachments, ticket files, recordings and import files: the only requests allowed past
  // max_body_bytes.
  options.max_upload_bytes = std::max(config.max_attachment_bytes, config.ticket_attachment_bytes);
  options.is_upload = [](std::string_view method, std::string_view target) {
    if (method != "POST") return false;
    auto path = target.substr(0, target.find('?'));
    if (path == "/api/v1/records/imports") return true;
    constexpr std::string_view kTickets = "/api/v1/tickets/", kRecordings = "/recordings";
    if (path.starts_with(kTickets) && path.ends_with(kRecordings) &&
        path.size() > kTickets.size() + kRecordings.size())
      return true;
    constexpr std::string_view kRecords = "/api/v1/records/", kAttachments = "/attachments";
    if (path.starts_with("/api/v1/tickets/") && path.ends_with(kAttachments)) return true;
    return path.starts_with(kRecords) && path.ends_with(kAttachments) &&
           path.size() > kRecords.size() + kAttachments.size();
  };
  bool trust_proxy = config.trust_proxy;
  http::Server server(options, [&router, trust_proxy](http::Request& r) {
    http::Response resp = router.dispatch(r);
    bool tls = r.tls || (trust_proxy && r.header("X-Forwarded-Proto") == "https");
    http::add_security_headers(resp, r.path.rfind("/api/", 0) == 0 || r.path == "/healthz", tls);
    return resp;
  });
  if (auto s = server.listen(); !s) {
    spdlog::critical("event=listen_failed listen={} message=\"{}\"", config.listen,
                     s.error().message);
    return 1;
  }
  spdlog::info("event=serving listen={}:{} database={} allocator=\"{}\"", listen->first,
               server.port(), (*db)->describe(), core::allocator_name());
  server.run();
  reads.flush();
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace dangan::app
