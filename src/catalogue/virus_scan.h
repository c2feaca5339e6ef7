// virus_scan.h — ClamAV on every upload (D41), in-process through libclamav.
//
// The signatures are loaded once per process, in the background from construction on
// (a full freshclam database takes seconds and about a gigabyte), and reloaded when the
// files in the signature directory change (freshclam's updates), checked every few
// minutes; scans meanwhile use the engine already loaded. A compiled engine is shared
// by concurrent scans (libclamav allows that). The content is scanned from memory
// through an fmap: no temporary file, no copy.
//
// Verdicts: clean, infected (with the signature's name) or unavailable (no signatures,
// still loading past the wait, a scan error) — what an unavailable scanner means for an
// upload is the caller's policy (Config::scan_unavailable).
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace dangan::catalogue {

struct ScanVerdict {
  enum class Kind { clean, infected, unavailable } kind = Kind::unavailable;
  std::string signature;  // infected: e.g. "Win.Test.EICAR_HDB-1"
  std::string engine;     // "ClamAV 1.4.6, 8,700,000 signatures, database 27500"
  std::string message;    // unavailable: why (for logs; may name paths)
};

class VirusScanner {
 public:
  // Starts loading the signatures in `db_dir`; files up to `max_bytes` are scanned whole.
  VirusScanner(std::string db_dir, std::size_t max_bytes,
               std::chrono::seconds reload_check = std::chrono::minutes(5));
  ~VirusScanner();
  VirusScanner(const VirusScanner&) = delete;
  VirusScanner& operator=(const VirusScanner&) = delete;

  // Scans `content`, waiting up to `wait` for the first load of the signatures.
  ScanVerdict scan(std::string_view content,
                   std::chrono::milliseconds wait = std::chrono::seconds(20));
  // Waits for the first load; true when an engine is ready.
  bool wait_ready(std::chrono::milliseconds wait);

 private:
  struct Engine;
  void loop();
  std::shared_ptr<Engine> load();

  std::string db_dir_;
  std::size_t max_bytes_;
  std::chrono::seconds reload_check_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<Engine> engine_;
  std::string load_error_;
  bool first_load_done_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dangan::catalogue
