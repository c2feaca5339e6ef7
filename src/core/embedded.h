// embedded.h — files compiled into the binary (SQL migrations, the web front end).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace dangan {

struct EmbeddedFile {
  std::string path;  // relative, with '/' separators
  std::string_view data;
};

std::vector<EmbeddedFile> dangan_migration_files();
std::vector<EmbeddedFile> dangan_web_files();

}  // namespace dangan
