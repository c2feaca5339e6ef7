#include "core/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string_view>

namespace dangan {
namespace {

template <class T>
void env_num(const char* name, T& out) {
  if (const char* v = std::getenv(name); v && *v) {
    char* end = nullptr;
    long long n = std::strtoll(v, &end, 10);
    if (end && *end == '\0' && n >= 0) out = static_cast<T>(n);
  }
}

void env_str(const char* name, std::string& out) {
  if (const char* v = std::getenv(name); v && *v) out = v;
}

}  // namespace

Result<Config> load_config(const std::string& path, Config c) {
  if (!path.empty()) {
    if (!std::filesystem::exists(path)) return invalid("config", "config file not found: " + path);
    toml::table t;
    try {
      t = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      return invalid("config",
                     std::string("config file is not valid TOML: ") + std::string(e.description()));
    }
    auto str = [&](std::string_view section, std::string_view key, std::string& out) {
      if (auto v = t[section][key].value<std::string>()) out = *v;
    };
    auto num = [&](std::string_view section, std::string_view key, auto& out) {
      if (auto v = t[section][key].value<int64_t>())
        out = static_cast<std::decay_t<decltype(out)>>(*v);
    };
    str("server", "database", c.database);
    str("server", "listen", c.listen);
    str("server", "log_level", c.log_level);
    num("server", "io_threads", c.io_threads);
    num("server", "worker_threads", c.worker_threads);
    num("server", "db_pool", c.db_pool);
    num("server", "max_body_bytes", c.max_body_bytes);
    if (auto v = t["server"]["trust_proxy"].value<bool>()) c.trust_proxy = *v;
    num("security", "session_idle_minutes", c.session_idle_minutes);
    num("security", "session_absolute_hours", c.session_absolute_hours);
    num("security", "session_cache_ms", c.session_cache_ms);
    num("security", "lockout_threshold", c.lockout_threshold);
    num("security", "lockout_minutes", c.lockout_minutes);
    num("security", "login_rate_per_minute", c.login_rate_per_minute);
    num("security", "privacy_alert_reads_per_hour", c.privacy_alert_reads_per_hour);
    str("display", "timezone", c.timezone);
    str("sharing", "oai_repository_name", c.oai_repository_name);
    str("sharing", "oai_repository_id", c.oai_repository_id);
    str("sharing", "oai_admin_email", c.oai_admin_email);
    str("sharing", "public_base_url", c.public_base_url);
    str("catalogue", "default_fonds", c.default_fonds);
    str("catalogue", "default_category", c.default_category);
    str("catalogue", "default_retention", c.default_retention);
    str("catalogue", "blob_dir", c.blob_dir);
    str("catalogue", "blob_key", c.blob_key);
    num("catalogue", "max_attachment_bytes", c.max_attachment_bytes);
    str("catalogue", "blob_replica_dir", c.blob_replica_dir);
    str("catalogue", "clamav_db", c.clamav_db);
    str("catalogue", "scan_unavailable", c.scan_unavailable);
    num("catalogue", "download_limit_open", c.download_limit_open);
    num("catalogue", "download_limit_controlled", c.download_limit_controlled);
    num("catalogue", "download_limit_secret", c.download_limit_secret);
    num("catalogue", "disposal_appraisers", c.disposal_appraisers);
    num("transfer", "export_approval_threshold", c.export_approval_threshold);
    num("transfer", "export_keep_days", c.export_keep_days);
    num("loans", "loan_days", c.loan_days);
    num("loans", "max_renewals", c.loan_max_renewals);
    str("transfer", "export_dir", c.export_dir);
    str("mail", "smtp_url", c.smtp_url);
    str("mail", "from", c.mail_from);
    str("mail", "maildir", c.maildir);
    num("mail", "ticket_attachment_bytes", c.ticket_attachment_bytes);
    auto dbl = [&](std::string_view key, double& out) {
      if (auto v = t["search"][key].value<double>()) out = *v;
    };
    dbl("weight_title", c.search_weight_title);
    dbl("weight_reference_code", c.search_weight_reference_code);
    dbl("weight_keywords", c.search_weight_keywords);
    dbl("weight_creator", c.search_weight_creator);
    dbl("weight_description", c.search_weight_description);
    dbl("weight_content", c.search_weight_content);
    dbl("weight_pinyin", c.search_weight_pinyin);
    dbl("boost_important", c.search_boost_important);
    dbl("boost_use", c.search_boost_use);
    dbl("boost_cited", c.search_boost_cited);
    dbl("boost_authority", c.search_boost_authority);
    dbl("boost_recency", c.search_boost_recency);
    dbl("recency_days", c.search_recency_days);
  }
  env_str("DANGAN_DATABASE", c.database);
  env_str("DANGAN_LISTEN", c.listen);
  env_str("DANGAN_LOG_LEVEL", c.log_level);
  env_num("DANGAN_IO_THREADS", c.io_threads);
  env_num("DANGAN_WORKER_THREADS", c.worker_threads);
  env_num("DANGAN_DB_POOL", c.db_pool);
  env_num("DANGAN_MAX_BODY_BYTES", c.max_body_bytes);
  env_num("DANGAN_SESSION_IDLE_MINUTES", c.session_idle_minutes);
  env_num("DANGAN_SESSION_ABSOLUTE_HOURS", c.session_absolute_hours);
  env_num("DANGAN_SESSION_CACHE_MS", c.session_cache_ms);
  env_num("DANGAN_LOCKOUT_THRESHOLD", c.lockout_threshold);
  env_num("DANGAN_LOCKOUT_MINUTES", c.lockout_minutes);
  env_num("DANGAN_LOGIN_RATE_PER_MINUTE", c.login_rate_per_minute);
  env_num("DANGAN_PRIVACY_ALERT_READS_PER_HOUR", c.privacy_alert_reads_per_hour);
  env_str("DANGAN_OAI_REPOSITORY_NAME", c.oai_repository_name);
  env_str("DANGAN_OAI_REPOSITORY_ID", c.oai_repository_id);
  env_str("DANGAN_OAI_ADMIN_EMAIL", c.oai_admin_email);
  env_str("DANGAN_PUBLIC_BASE_URL", c.public_base_url);
  env_str("DANGAN_DEFAULT_FONDS", c.default_fonds);
  env_str("DANGAN_DEFAULT_CATEGORY", c.default_category);
  env_str("DANGAN_DEFAULT_RETENTION", c.default_retention);
  env_str("DANGAN_BLOB_DIR", c.blob_dir);
  env_str("DANGAN_BLOB_KEY", c.blob_key);
  env_num("DANGAN_MAX_ATTACHMENT_BYTES", c.max_attachment_bytes);
  env_str("DANGAN_BLOB_REPLICA_DIR", c.blob_replica_dir);
  env_str("DANGAN_CLAMAV_DB", c.clamav_db);
  env_str("DANGAN_SCAN_UNAVAILABLE", c.scan_unavailable);
  env_num("DANGAN_DOWNLOAD_LIMIT_OPEN", c.download_limit_open);
  env_num("DANGAN_DOWNLOAD_LIMIT_CONTROLLED", c.download_limit_controlled);
  env_num("DANGAN_DOWNLOAD_LIMIT_SECRET", c.download_limit_secret);
  env_num("DANGAN_DISPOSAL_APPRAISERS", c.disposal_appraisers);
  env_num("DANGAN_EXPORT_APPROVAL_THRESHOLD", c.export_approval_threshold);
  env_num("DANGAN_EXPORT_KEEP_DAYS", c.export_keep_days);
  env_str("DANGAN_EXPORT_DIR", c.export_dir);
  env_str("DANGAN_SMTP_URL", c.smtp_url);
  env_str("DANGAN_MAIL_FROM", c.mail_from);
  env_str("DANGAN_SMTP_USER", c.smtp_user);
  env_str("DANGAN_SMTP_PASSWORD", c.smtp_password);
  env_str("DANGAN_MAILDIR", c.maildir);
  env_str("DANGAN_CHANNEL_WEBHOOK_SECRET", c.channel_webhook_secret);
  env_num("DANGAN_TICKET_ATTACHMENT_BYTES", c.ticket_attachment_bytes);
  env_num("DANGAN_LOAN_DAYS", c.loan_days);
  env_num("DANGAN_LOAN_MAX_RENEWALS", c.loan_max_renewals);
  if (const char* v = std::getenv("DANGAN_TRUST_PROXY"); v && *v)
    c.trust_proxy = std::string_view(v) == "1" || std::string_view(v) == "true";
  if (c.io_threads < 1 || c.io_threads > 64) return invalid("io_threads", "must be 1 to 64");
  // The key itself is never echoed.
  if (!c.blob_key.empty() &&
      (c.blob_key.size() != 64 ||
       !std::all_of(c.blob_key.begin(), c.blob_key.end(),
                    [](unsigned char ch) { return std::isxdigit(ch) != 0; })))
    return invalid("blob_key", "must be 64 hexadecimal digits (32 bytes)");
  if (c.scan_unavailable != "refuse" && c.scan_unavailable != "accept")
    return invalid("scan_unavailable", "must be refuse or accept");
  if (c.max_attachment_bytes < 1) return invalid("max_attachment_bytes", "must be at least 1");
  if (c.disposal_appraisers < 2 || c.disposal_appraisers > 20)
    return invalid("disposal_appraisers",
                   "must be 2 (the proposer and the approver) to 20");
  if (c.export_approval_threshold < 0)
    return invalid("export_approval_threshold", "must be 0 (every export) or more");
  if (c.export_keep_days < 1) return invalid("export_keep_days", "must be at least 1");
  if (c.ticket_attachment_bytes < 1)
    return invalid("ticket_attachment_bytes", "must be at least 1");
  if (!c.smtp_url.empty() && c.mail_from.find('@') == std::string::npos)
    return invalid("mail_from", "an smtp_url needs a from address (name@domain)");
  if (c.loan_days < 1 || c.loan_days > 365) return invalid("loan_days", "must be 1 to 365");
  if (c.loan_max_renewals < 0 || c.loan_max_renewals > 20)
    return invalid("max_renewals", "must be 0 to 20");
  if (c.worker_threads < 0 || c.worker_threads > 512)
    return invalid("worker_threads", "must be 0 (automatic) to 512");
  return c;
}

Result<std::pair<std::string, unsigned short>> split_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return invalid("listen", "expected HOST:PORT, e.g. 127.0.0.1:8080");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string port_text = listen.substr(colon + 1);
  char* end = nullptr;
  long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535)
    return invalid("listen", "port must be 0 to 65535");
  return std::pair{host, static_cast<unsigned short>(port)};
}

}  // namespace dangan
