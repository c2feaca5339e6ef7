#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace dangan {

void init_logging(const std::string& level) {
  // Logs go to stderr so that commands which print results (a URL, a JSON document)
  // keep stdout clean for scripts.
  auto logger = spdlog::stderr_logger_mt("dangan");
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace dangan
