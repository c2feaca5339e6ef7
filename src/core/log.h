// log.h — structured logging: one line per event, key=value, never a personal field or
// a secret. Modules call spdlog directly; this sets the format and level once.
#pragma once
#include <string>

namespace dangan {

void init_logging(const std::string& level);

}  // namespace dangan
