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

Result<ExportOptions> export_options(const Request& r) {
  TRY_STATUS(http::only_params(r, {"format", "fonds", "category", "year_from", "year_to",
                                   "access_level", "status", "carrier"}));
  ExportOptions o;
  o.format = TRY(parse_format(http::text_param(r, "format").value_or("csv")));
  o.filter.fonds = http::text_param(r, "fonds");
  o.filter.category = http::text_param(r, "category");
  o.filter.access_level = http::text_param(r, "access_level");
  o.filter.status = http::text_param(r, "status");
  o.filter.carrier = http::text_param(r, "carrier");
  for (auto* name : {"year_from", "year_to"}) {
    auto y = TRY(http::int_param(r, name));
    if (!y) continue;
    if (*y < 1000 || *y > 9999)
      return invalid(name, std::string(name) + " must be a year from 1000 to 9999");
    (std::string_view(name) == "year_from" ? o.filter.year_from : o.filter.year_to) =
        static_cast<int>(*y);
  }
  return o;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::internal, "the export file could not be read back");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
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

void register_routes(http::Api& api, ImportRunner& imports, Exporter& exporter,
                     const Clock& clock) {
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
                     auto before = TRY(http::int_param(r, "cursor"));
                     return imports.importer().list(a, before, TRY(http::limit_param(r)));
                   });

  api.secured_json("GET", "/api/v1/records/imports/{id}",
                   [&imports](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return imports.importer().get(a, TRY(http::id_path(r)));
                   });

  api.secured("GET", "/api/v1/records/export", [&exporter, &clock](Request& r, const Actor& a) {
    auto run = [&]() -> Result<Response> {
      ExportOptions o = TRY(export_options(r));
      namespace fs = std::filesystem;
      // A directory only this process's user can read: the file (and libxlsxwriter's
      // temporary files) may hold secret records.
      std::string tmpl = (fs::temp_directory_path() / "dangan-export-XXXXXX").string();
      if (!::mkdtemp(tmpl.data()))
        return fail(ErrorCode::unavailable, "no room for the export's temporary file");
      struct Cleanup {
        fs::path dir;
        ~Cleanup() {
          std::error_code ec;
          fs::remove_all(dir, ec);
        }
      } cleanup{tmpl};
      fs::path path = fs::path(tmpl) / ("records." + std::string(extension(o.format)));
      o.write.tmpdir = tmpl;
      TRY(exporter.write(a, path.string(), o));
      std::string body = TRY(read_file(path.string()));
      Response resp = Response::text(200, std::move(body), std::string(content_type(o.format)));
      std::string name = "records-" + format_time(clock.now()).substr(0, 10) + "." +
                         std::string(extension(o.format));
      resp.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
      return resp;
    };
    auto resp = run();
    if (!resp) return http::reply(resp.error(), r);
    return std::move(*resp);
  });
}

}  // namespace dangan::transfer
