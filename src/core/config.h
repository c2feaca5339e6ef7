// config.h — settings, from defaults, then a TOML file, then DANGAN_* environment
// variables, then command-line flags (each overriding the one before).
//
// The defaults run everything embedded: SQLite under ./data, listening on loopback.
#pragma once
#include <string>

#include "core/result.h"

namespace dangan {

struct Config {
  std::string database = "sqlite:./data/dangan.db";  // DANGAN_DATABASE, [server] database
  std::string listen = "127.0.0.1:8080";             // DANGAN_LISTEN, [server] listen
  std::string log_level = "info";                    // DANGAN_LOG_LEVEL
  int io_threads = 2;                                // DANGAN_IO_THREADS
  // Threads that run request handlers; 0 picks by backend: on SQLite, whose queries
  // never wait on a network, 2 per core (more only adds context switches: measured
  // 13.9k vs 18.1k patron reads/s with 16 vs 4 on 2 cores); on PostgreSQL 8 per core,
  // to cover round trips.
  int worker_threads = 0;                            // DANGAN_WORKER_THREADS
  int db_pool = 16;                                  // DANGAN_DB_POOL
  std::size_t max_body_bytes = 1 << 20;              // DANGAN_MAX_BODY_BYTES
  int session_idle_minutes = 30;                     // DANGAN_SESSION_IDLE_MINUTES
  int session_absolute_hours = 12;                   // DANGAN_SESSION_ABSOLUTE_HOURS
  // How long a process trusts a session it has checked (0: ask the database every time).
  // A logout, password change or disabling in this process takes effect at once; one made
  // through another process takes effect here within this time.
  int session_cache_ms = 1000;             // DANGAN_SESSION_CACHE_MS
  int lockout_threshold = 5;               // failed logins in a row before the account locks
  int lockout_minutes = 15;                // how long it stays locked
  int login_rate_per_minute = 30;          // login attempts per client address per minute
  bool trust_proxy = false;                // honour X-Forwarded-Proto/For from a reverse proxy
  int privacy_alert_reads_per_hour = 200;  // personal-data reads per staff member per hour
  std::string timezone = "Asia/Shanghai";

  // The catalogue (issue 4). A record created without fonds or category goes to these
  // (created at start when missing).
  std::string default_fonds = "QZ01";       // DANGAN_DEFAULT_FONDS, [catalogue] default_fonds
  std::string default_category = "WS";      // DANGAN_DEFAULT_CATEGORY
  std::string default_retention = "D30";    // DANGAN_DEFAULT_RETENTION
  // Where attachment content lives, named by SHA-256 ("" = <database dir>/blobs; on
  // PostgreSQL, ./data/blobs). Several processes must share it.
  std::string blob_dir;                     // DANGAN_BLOB_DIR, [catalogue] blob_dir
  std::size_t max_attachment_bytes = 64u << 20;  // DANGAN_MAX_ATTACHMENT_BYTES
  // A 64-hex-digit key that encrypts controlled and secret attachments at rest ("" =
  // a key file beside the blobs, created on first use with mode 0600).
  std::string blob_key;                     // DANGAN_BLOB_KEY (never logged)
  // A second directory every blob is also written to (D41); fixity repairs either copy
  // from the other. "" = no replica.
  std::string blob_replica_dir;             // DANGAN_BLOB_REPLICA_DIR
  // ClamAV signature directory (freshclam keeps /var/lib/clamav current), scanned
  // in-process with libclamav; and what an upload gets when the scanner cannot run (no
  // signatures, still loading): "refuse" (503) or "accept" (stored as "unscanned").
  std::string clamav_db = "/var/lib/clamav";  // DANGAN_CLAMAV_DB
  std::string scan_unavailable = "refuse";    // DANGAN_SCAN_UNAVAILABLE
  // Attachment downloads per user in any 24 hours, by the record's access level (D42);
  // 0 = no limit.
  int download_limit_open = 0;          // DANGAN_DOWNLOAD_LIMIT_OPEN
  int download_limit_controlled = 50;   // DANGAN_DOWNLOAD_LIMIT_CONTROLLED
  int download_limit_secret = 20;       // DANGAN_DOWNLOAD_LIMIT_SECRET
  // Appraisal (D18): how many distinct people must agree to a disposal — the proposer
  // and the approving manager count, so 2 needs nobody else and 3 one more appraiser's
  // opinion; any standing disagreement blocks it whatever this says.
  int disposal_appraisers = 2;          // DANGAN_DISPOSAL_APPRAISERS

  // Bulk exports through the API (D42, [transfer] section): an export of more records
  // than this, or one that includes controlled or secret records, waits for a manager's
  // approval (export_approve); the file is kept for the requester this many days. The
  // command line is not limited (an operator on the server), but audited.
  int export_approval_threshold = 1000;  // DANGAN_EXPORT_APPROVAL_THRESHOLD
  int export_keep_days = 7;              // DANGAN_EXPORT_KEEP_DAYS
  // Where approved exports are written ("" = "exports" beside the blob directory).
  std::string export_dir;                // DANGAN_EXPORT_DIR

  // The loans desk ([loans] section): a loan's length when no due date is given and the
  // length of each renewal, in days; renewals allowed per loan.
  int loan_days = 30;          // DANGAN_LOAN_DAYS
  int loan_max_renewals = 2;   // DANGAN_LOAN_MAX_RENEWALS

  // OAI-PMH ([sharing] section): how the repository names itself to harvesters.
  std::string oai_repository_name = "dangan archive";  // DANGAN_OAI_REPOSITORY_NAME
  std::string oai_repository_id = "dangan.local";      // DANGAN_OAI_REPOSITORY_ID
  std::string oai_admin_email = "archives@example.org";  // DANGAN_OAI_ADMIN_EMAIL
  // The public base URL (e.g. https://archives.example.org); "" = from the Host header.
  std::string public_base_url;                         // DANGAN_PUBLIC_BASE_URL

  // E-mail and other channels of the service desk ([mail] section; docs/service.md).
  // smtp_url "" = no e-mail out (replies by e-mail stay queued); e.g.
  // "smtp://127.0.0.1:2525" or "smtps://mail.example.org:465". The user and password come
  // from the environment only and are never logged.
  std::string smtp_url;                    // DANGAN_SMTP_URL, [mail] smtp_url
  std::string mail_from;                   // DANGAN_MAIL_FROM, [mail] from
  std::string smtp_user;                   // DANGAN_SMTP_USER (environment only)
  std::string smtp_password;               // DANGAN_SMTP_PASSWORD (environment only)
  // A Maildir (new/, cur/, tmp/) the sweep reads inbound mail from; "" = none.
  std::string maildir;                     // DANGAN_MAILDIR, [mail] maildir
  // The shared secret of the SMS/social gateway's webhook (HMAC-SHA256 of the body);
  // "" = the webhook refuses everything.
  std::string channel_webhook_secret;      // DANGAN_CHANNEL_WEBHOOK_SECRET (environment only)
  std::size_t ticket_attachment_bytes = 20u << 20;  // DANGAN_TICKET_ATTACHMENT_BYTES

  // Search ranking ([search] section; docs/search.md explains them).
  double search_weight_title = 4, search_weight_reference_code = 5, search_weight_keywords = 3,
         search_weight_creator = 2, search_weight_description = 1, search_weight_content = 0.5,
         search_weight_pinyin = 1.5;
  double search_boost_important = 0.3, search_boost_use = 0.1, search_boost_cited = 0.1,
         search_boost_authority = 0.2, search_boost_recency = 0.1, search_recency_days = 365;
};

// Reads `path` (empty: none) and the environment on top of `base`.
Result<Config> load_config(const std::string& path, Config base = {});
// host and port from "HOST:PORT" or "[v6]:PORT".
Result<std::pair<std::string, unsigned short>> split_listen(const std::string& listen);

}  // namespace dangan
