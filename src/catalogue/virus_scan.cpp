#include "catalogue/virus_scan.h"

#include <clamav.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <filesystem>

namespace dangan::catalogue {

namespace {

void clamav_message(enum cl_msg severity, const char*, const char* msg, void*) {
  std::string m = msg ? msg : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == '\r')) m.pop_back();
  if (severity == CL_MSG_ERROR)
    spdlog::warn("event=clamav_message message=\"{}\"", m);
  else
    spdlog::debug("event=clamav_message message=\"{}\"", m);
}

bool init_clamav(std::string& error) {
  static std::once_flag once;
  static cl_error_t result = CL_SUCCESS;
  std::call_once(once, [] {
    cl_set_clcb_msg(clamav_message);
    result = cl_init(CL_INIT_DEFAULT);
  });
  if (result != CL_SUCCESS) error = std::string("cl_init failed: ") + cl_strerror(result);
  return result == CL_SUCCESS;
}

}  // namespace

struct VirusScanner::Engine {
  cl_engine* engine = nullptr;
  cl_stat stat{};
  bool stat_ok = false;
  std::string description;
  ~Engine() {
    if (engine) cl_engine_free(engine);
    if (stat_ok) cl_statfree(&stat);
  }
};

VirusScanner::VirusScanner(std::string db_dir, std::size_t max_bytes,
                           std::chrono::seconds reload_check)
    : db_dir_(std::move(db_dir)), max_bytes_(max_bytes), reload_check_(reload_check) {
  thread_ = std::thread([this] { loop(); });
}

VirusScanner::~VirusScanner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<VirusScanner::Engine> VirusScanner::load() {
  std::string error;
  auto fail_load = [&](std::string why) -> std::shared_ptr<Engine> {
    std::lock_guard lock(mu_);
    load_error_ = std::move(why);
    return nullptr;
  };
  if (!init_clamav(error)) return fail_load(error);
  std::error_code ec;
  if (!std::filesystem::is_directory(db_dir_, ec))
    return fail_load("no ClamAV signature directory at " + db_dir_);
  auto started = std::chrono::steady_clock::now();
  auto e = std::make_shared<Engine>();
  e->engine = cl_engine_new();
  if (!e->engine) return fail_load("cl_engine_new failed");
  // Scan every accepted upload whole (libclamav's defaults stop at 100 MB per file).
  long long limit = static_cast<long long>(std::min<std::size_t>(max_bytes_, INT_MAX));
  if (limit > cl_engine_get_num(e->engine, CL_ENGINE_MAX_FILESIZE, nullptr))
    cl_engine_set_num(e->engine, CL_ENGINE_MAX_FILESIZE, limit);
  if (limit > cl_engine_get_num(e->engine, CL_ENGINE_MAX_SCANSIZE, nullptr))
    cl_engine_set_num(e->engine, CL_ENGINE_MAX_SCANSIZE, limit);
  unsigned int signatures = 0;
  if (cl_error_t r = cl_load(db_dir_.c_str(), e->engine, &signatures, CL_DB_STDOPT);
      r != CL_SUCCESS)
    return fail_load("cannot load ClamAV signatures from " + db_dir_ + ": " + cl_strerror(r));
  if (signatures == 0) return fail_load("no ClamAV signatures in " + db_dir_);
  if (cl_error_t r = cl_engine_compile(e->engine); r != CL_SUCCESS)
    return fail_load(std::string("cannot compile the ClamAV engine: ") + cl_strerror(r));
  e->stat_ok = cl_statinidir(db_dir_.c_str(), &e->stat) == CL_SUCCESS;
  long long db_version = cl_engine_get_num(e->engine, CL_ENGINE_DB_VERSION, nullptr);
  e->description = std::string("ClamAV ") + cl_retver() + ", " + std::to_string(signatures) +
                   " signatures" +
                   (db_version > 0 ? ", database " + std::to_string(db_version) : "");
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  spdlog::info("event=clamav_loaded dir={} signatures={} db_version={} ms={}", db_dir_, signatures,
               db_version, ms);
  return e;
}

void VirusScanner::loop() {
  auto first = load();
  {
    std::lock_guard lock(mu_);
    engine_ = first;
    first_load_done_ = true;
    if (!first) spdlog::warn("event=clamav_unavailable message=\"{}\"", load_error_);
  }
  cv_.notify_all();
  for (;;) {
    std::shared_ptr<Engine> current;
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, reload_check_, [this] { return stopping_; })) return;
      current = engine_;
    }
    // Reload when freshclam changed the files (or when the first load failed).
    bool changed = !current || !current->stat_ok || cl_statchkdir(&current->stat) == 1;
    if (!changed) continue;
    auto fresh = load();
    if (!fresh) {
      if (current) spdlog::warn("event=clamav_reload_failed keeping=old_signatures");
      continue;
    }
    std::lock_guard lock(mu_);
    engine_ = std::move(fresh);
  }
}

bool VirusScanner::wait_ready(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, wait, [this] { return first_load_done_ || stopping_; });
  return engine_ != nullptr;
}

ScanVerdict VirusScanner::scan(std::string_view content, std::chrono::milliseconds wait) {
  ScanVerdict v;
  std::shared_ptr<Engine> e;
  {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [this] { return first_load_done_ || stopping_; });
    e = engine_;
    if (!e) {
      v.message = first_load_done_ ? load_error_ : "the ClamAV signatures are still loading";
      return v;
    }
  }
  v.engine = e->description;
  cl_fmap_t* map = cl_fmap_open_memory(content.data(), content.size());
  if (!map) {
    v.message = "cannot map the content for scanning";
    return v;
  }
  cl_scan_options options{};
  options.general = CL_SCAN_GENERAL_HEURISTICS;
  options.parse = ~0u;  // every parser: archives, PDF, OLE2, HTML, mail …
  const char* virname = nullptr;
  unsigned long scanned = 0;
  cl_error_t r =
      cl_scanmap_callback(map, "upload", &virname, &scanned, e->engine, &options, nullptr);
  cl_fmap_close(map);
  if (r == CL_VIRUS) {
    v.kind = ScanVerdict::Kind::infected;
    v.signature = virname ? virname : "unknown";
  } else if (r == CL_CLEAN) {
    v.kind = ScanVerdict::Kind::clean;
  } else {
    v.message = std::string("scan failed: ") + cl_strerror(r);
  }
  return v;
}

}  // namespace dangan::catalogue
