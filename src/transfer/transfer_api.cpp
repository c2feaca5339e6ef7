#include "transfer/transfer_api.h"

#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace dangan::transfer {

using json = nlohmann::json;
using http::Request;
using http::Response;

namespace {

Result<bool> bool_param(const Request& r, const std::string& name) {
  auto v = http::text_param(r, name);
  if (!v) return false;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  return invalid(name, name + " must be true or false");
}

std::optional<Format> format_of_content_type(const Request& r) {
  auto ct = r.header("Content-Type");
  if (!ct) return std::nullopt;
  std::string t = ct->substr(0, ct->find(';'));
  if (t == "text/csv") return Format::csv;
  if (t == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") return Format::xlsx;
  if (t == "application/json") return Format::json;
  if (t == "application/x-ndjson" || t == "application/jsonl") return Format::ndjson;
  return std::nullopt;
}

Result<ImportOptions> import_options(const Request& r) {
  TRY_STATUS(http::only_params(r, {"format", "dry_run", "mode", "batch_size", "mapping", "job",
                                   "skip_existing", "encoding", "sheet", "filename"}));
  ImportOptions o;
  o.filename = http::text_param(r, "filename").value_or("");
  if (auto f = http::text_param(r, "format"))
    o.format = TRY(parse_format(*f));
  else if (auto c = format_of_content_type(r))
    o.format = *c;
  else if (auto e = format_from_path(o.filename))
    o.format = *e;
  else
    return invalid("format", "give format=csv, xlsx, json or ndjson");
  if (o.filename.empty()) o.filename = "upload." + std::string(extension(o.format));
  o.dry_run = TRY(bool_param(r, "dry_run"));
  o.skip_existing = TRY(bool_param(r, "skip_existing"));
  std::string mode = http::text_param(r, "mode").value_or("");
  auto batch = TRY(http::int_param(r, "batch_size"));
  if (mode.empty()) mode = batch ? "batch" : "all_or_nothing";
  if (mode == "batch") {
    o.batch_size = batch.value_or(1000);
    if (o.batch_size < 1 || o.batch_size > 1000000)
      return invalid("batch_size", "batch_size must be from 1 to 1000000 rows");
  } else if (mode == "all_or_nothing") {
    if (batch) return invalid("batch_size", "batch_size goes with mode=batch");
  } else {
    return invalid("mode", "mode must be all_or_nothing or batch");
  }
  if (auto m = http::text_param(r, "mapping")) {
    json j = json::parse(*m, nullptr, false);
    if (j.is_discarded()) return invalid("mapping", "mapping must be JSON (URL-encoded)");
    o.mapping = TRY(Mapping::from_json(j));
    o.mapping_given = true;
  }
  if (auto e = http::text_param(r, "encoding")) o.read.encoding = *e;
  if (auto s = http::text_param(r, "sheet")) o.read.sheet = *s;
  return o;
}

Result<ExportOptions> export_options_from(const json& b);

Result<ExportOptions> export_options(const Request& r) {
  TRY_STATUS(http::only_params(r, {"format", "fonds", "category", "year_from", "year_to",
                                   "access_level", "status", "carrier"}));
  // The same members as the query parameters, as text.
  json q = json::object();
  for (auto* name : {"format", "fonds", "category", "access_level", "status", "carrier",
                     "year_from", "year_to"})
    if (auto v = http::text_param(r, name)) q[name] = *v;
  for (auto* name : {"year_from", "year_to"})
    if (auto y = TRY(http::int_param(r, name))) q[name] = *y;
  return export_options_from(q);
}

// From a JSON object (the body of POST /records/exports, or the query above).
Result<ExportOptions> export_options_from(const json& b) {
  auto str = [&](const char* name) -> Result<std::optional<std::string>> {
    if (!b.contains(name) || b[name].is_null()) return std::optional<std::string>{};
    if (!b[name].is_string()) return invalid(name, std::string(name) + " must be text");
    std::string v = b[name].get<std::string>();
    if (v.empty()) return std::optional<std::string>{};
    return std::optional<std::string>(v);
  };
  ExportOptions o;
  o.format = TRY(parse_format(TRY(str("format")).value_or("csv")));
  o.filter.fonds = TRY(str("fonds"));
  o.filter.category = TRY(str("category"));
  o.filter.access_level = TRY(str("access_level"));
  if (o.filter.access_level && *o.filter.access_level != "open" &&
      *o.filter.access_level != "controlled" && *o.filter.access_level != "secret")
    return invalid("access_level", "access_level must be open, controlled or secret");
  o.filter.status = TRY(str("status"));
  o.filter.carrier = TRY(str("carrier"));
  for (auto* name : {"year_from", "year_to"}) {
    if (!b.contains(name) || b[name].is_null()) continue;
    if (!b[name].is_number_integer()) return invalid(name, std::string(name) + " must be a year");
    std::optional<std::int64_t> y = b[name].get<std::int64_t>();
    if (*y < 1000 || *y > 9999)
      return invalid(name, std::string(name) + " must be a year from 1000 to 9999");
    (std::string_view(name) == "year_from" ? o.filter.year_from : o.filter.year_to) =
        static_cast<int>(*y);
  }
  return o;
}

}  // namespace

ImportRunner::~ImportRunner() {
  stop_ = true;
  std::lock_guard lock(threads_mu_);
  threads_.clear();  // jthread joins
}

void ImportRunner::submit(const Actor& by, std::int64_t job_id,
                          std::shared_ptr<const std::string> bytes, ImportOptions options) {
  std::lock_guard lock(threads_mu_);
  // Threads of finished imports are joined here rather than kept.
  threads_.remove_if([](const Worker& w) { return w.done->load(); });
  options.stop = &stop_;
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::jthread thread(
      [this, by, job_id, done, bytes = std::move(bytes), options = std::move(options)] {
        struct Done {
          std::atomic<bool>& flag;
          ~Done() { flag = true; }
        } mark{*done};
        std::lock_guard one_at_a_time(run_mu_);
        auto finished = importer_.run(by, job_id, Input::memory(bytes), options);
        if (!finished)
          spdlog::error("event=import_failed job={} code={} message=\"{}\"", job_id,
                        to_string(finished.error().code), finished.error().message);
        else
          spdlog::info("event=import_finished job={} status={} rows_imported={} rows_failed={}",
                       job_id, (*finished)["status"].get<std::string>(),
                       (*finished)["rows_imported"].get<std::int64_t>(),
                       (*finished)["rows_failed"].get<std::int64_t>());
      });
  threads_.push_back({std::move(done), std::move(thread)});
}

void register_routes(http::Api& api, ImportRunner& imports, Exporter& /*exporter*/,
                     ExportRequests& exports, const Clock& /*clock*/) {
  api.secured_json(
      "POST", "/api/v1/records/imports",
      [&imports](Request& r, const Actor& a) -> Result<json> {
        ImportOptions o = TRY(import_options(r));
        auto job_id = TRY(http::int_param(r, "job"));
        if (job_id && o.batch_size == 0)
          return invalid("job", "only a batch import continues: give mode=batch");
        if (r.body.empty()) return invalid("body", "send the file as the request body");
        auto bytes = std::make_shared<const std::string>(std::move(r.body));
        json job = TRY(imports.importer().start(a, Input::memory(bytes), o, job_id));
        imports.submit(a, job["id"].get<std::int64_t>(), bytes, std::move(o));
        return job;
      },
      202);

  api.secured_json("GET", "/api/v1/records/imports",
                   [&imports](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {"cursor", "limit"}));
                     auto before = TRY(http::id_cursor_param(r));
                     return imports.importer().list(a, before, TRY(http::limit_param(r)));
                   });

  api.secured_json("GET", "/api/v1/records/imports/{id}",
                   [&imports](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return imports.importer().get(a, TRY(http::id_path(r)));
                   });

  api.secured("GET", "/api/v1/records/export",
              [&exports](Request& r, const Actor& a) {
                auto run = [&]() -> Result<Response> {
                  ExportOptions o = TRY(export_options(r));
                  auto created = TRY(exports.create(a, o, ""));
                  auto id = created.request["id"].get<std::int64_t>();
                  if (!created.ran_now) {
                    // Needs a manager's approval: the request, not the file.
                    Response resp = Response::json(202, created.request);
                    resp.set_header("Location", "/api/v1/records/exports/" + std::to_string(id));
                    return resp;
                  }
                  ExportFile f = TRY(exports.download(a, id));
                  Response resp = Response::text(200, std::move(f.body), f.content_type);
                  resp.set_header("Content-Disposition",
                                  "attachment; filename=\"" + f.filename + "\"");
                  resp.set_header("X-Dangan-Export-Request", std::to_string(id));
                  return resp;
                };
                auto resp = run();
                if (!resp) return http::reply(resp.error(), r);
                return std::move(*resp);
              });

  api.secured("POST", "/api/v1/records/exports", [&exports](Request& r, const Actor& a) {
    auto run = [&]() -> Result<Response> {
      TRY_STATUS(http::only_params(r, {}));
      json body = TRY(http::json_body(r));
      TRY_STATUS(http::only_fields(body, {"format", "fonds", "category", "year_from", "year_to",
                                          "access_level", "status", "carrier", "purpose"}));
      ExportOptions o = TRY(export_options_from(body));
      std::string purpose = TRY(http::string_field(body, "purpose", false));
      auto created = TRY(exports.create(a, o, purpose));
      Response resp = Response::json(created.ran_now ? 201 : 202, created.request);
      resp.set_header("Location", "/api/v1/records/exports/" +
                                      std::to_string(created.request["id"].get<std::int64_t>()));
      return resp;
    };
    auto resp = run();
    if (!resp) return http::reply(resp.error(), r);
    return std::move(*resp);
  });

  api.secured_json("GET", "/api/v1/records/exports",
                   [&exports](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {"status", "cursor", "limit"}));
                     auto before = TRY(http::id_cursor_param(r));
                     return exports.list(a, http::text_param(r, "status"), before,
                                         TRY(http::limit_param(r)));
                   });

  api.secured_json("GET", "/api/v1/records/exports/{id}",
                   [&exports](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return exports.get(a, TRY(http::id_path(r)));
                   });

  for (bool approve : {true, false})
    api.secured_json(
        "POST",
        std::string("/api/v1/records/exports/{id}/") + (approve ? "approve" : "reject"),
        [&exports, approve](Request& r, const Actor& a) -> Result<json> {
          TRY_STATUS(http::only_params(r, {}));
          auto id = TRY(http::id_path(r));
          json body = TRY(http::json_body(r));
          TRY_STATUS(http::only_fields(body, {"reason"}));
          std::string reason = TRY(http::string_field(body, "reason", true));
          return approve ? exports.approve(a, id, reason) : exports.reject(a, id, reason);
        });

  api.secured("GET", "/api/v1/records/exports/{id}/file", [&exports](Request& r, const Actor& a) {
    auto run = [&]() -> Result<Response> {
      TRY_STATUS(http::only_params(r, {}));
      ExportFile f = TRY(exports.download(a, TRY(http::id_path(r))));
      Response resp = Response::text(200, std::move(f.body), f.content_type);
      resp.set_header("Content-Disposition", "attachment; filename=\"" + f.filename + "\"");
      return resp;
    };
    auto resp = run();
    if (!resp) return http::reply(resp.error(), r);
    return std::move(*resp);
  });
}

}  // namespace dangan::transfer
