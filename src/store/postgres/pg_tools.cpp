// pg_tools.cpp — URL handling, placeholder rewriting and the pg_dump/pg_restore wrappers.
#include "store/postgres/pg_tools.h"

#include <fcntl.h>
#include <spawn.h>
#include <pqxx/pqxx>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>
#include <vector>

#include "store/store_internal.h"

extern char** environ;

namespace dangan::store::postgres {

namespace {

namespace fs = std::filesystem;

bool is_ident(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string find_tool(const std::string& name) {
  std::error_code ec;
  if (const char* path = std::getenv("PATH")) {
    std::string_view rest(path);
    while (!rest.empty()) {
      auto colon = rest.find(':');
      std::string_view dir = rest.substr(0, colon);
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
      if (dir.empty()) continue;
      fs::path candidate = fs::path(dir) / name;
      if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
        return candidate.string();
      }
    }
  }
  fs::path fallback = fs::path("/usr/lib/postgresql/15/bin") / name;
  if (fs::is_regular_file(fallback, ec)) return fallback.string();
  return {};
}

struct ToolResult {
  int exit_code = -1;
  std::string stderr_text;
};

// Runs `argv` with stdin and stdout on /dev/null and stderr captured; PGPASSWORD is set
// to `password` (or removed) in the child's environment only.
Result<ToolResult> run_tool(const std::vector<std::string>& argv, const std::string& password) {
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "PGPASSWORD=", 11) != 0) env_store.emplace_back(*e);
  }
  if (!password.empty()) env_store.push_back("PGPASSWORD=" + password);
  std::vector<char*> envp;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args_store(argv);
  std::vector<char*> args;
  for (auto& s : args_store) args.push_back(s.data());
  args.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(ErrorCode::internal, "cannot create a pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return fail(ErrorCode::internal, "cannot start " + argv[0]);
  }
  ToolResult out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) {
      if (out.stderr_text.size() < 65536) out.stderr_text.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

// The tools' stderr can quote rows (a failed COPY prints the offending key in DETAIL),
// so only the first line that names the error is passed on, cut short.
Error tool_error(const std::string& tool, const ToolResult& r) {
  std::string line;
  std::string_view rest = r.stderr_text;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view l = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (l.find("error:") != std::string_view::npos) {
      line = std::string(l.substr(0, 200));
      break;
    }
  }
  ErrorCode code = ErrorCode::internal;
  if (line.find("connection to server") != std::string::npos ||
      line.find("could not connect") != std::string::npos) {
    code = ErrorCode::unavailable;
  } else if (line.find("not appear to be a valid archive") != std::string::npos ||
             line.find("did not find magic string") != std::string::npos ||
             line.find("input file is too short") != std::string::npos ||
             line.find("could not open input file") != std::string::npos) {
    code = ErrorCode::invalid;
  }
  std::string msg = tool + " failed (exit " + std::to_string(r.exit_code) + ")";
  if (!line.empty()) msg += ": " + line;
  return Error{code, msg, code == ErrorCode::invalid ? "src" : ""};
}

Status sync_path(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return fail(ErrorCode::internal, "cannot open " + p.string() + " to sync it");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return fail(ErrorCode::internal, "fsync failed for " + p.string());
  return {};
}

}  // namespace

SplitUrl split_password(std::string_view url) {
  SplitUrl out;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    out.url = std::string(url);
    return out;
  }
  std::size_t auth_begin = scheme_end + 3;
  std::size_t auth_end = url.find_first_of("/?", auth_begin);
  if (auth_end == std::string_view::npos) auth_end = url.size();
  std::string_view authority = url.substr(auth_begin, auth_end - auth_begin);
  std::string rebuilt(url.substr(0, auth_begin));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      out.password = percent_decode(userinfo.substr(colon + 1));
      userinfo = userinfo.substr(0, colon);
    }
    rebuilt += std::string(userinfo) + "@" + std::string(authority.substr(at + 1));
  } else {
    rebuilt += std::string(authority);
  }
  std::string_view rest = url.substr(auth_end);
  auto q = rest.find('?');
  rebuilt += std::string(rest.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    std::string kept;
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view param = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (param.substr(0, 9) == "password=") {
        if (out.password.empty()) out.password = percent_decode(param.substr(9));
        continue;
      }
      if (param.empty()) continue;
      kept += (kept.empty() ? "" : "&") + std::string(param);
    }
    if (!kept.empty()) rebuilt += "?" + kept;
  }
  out.url = std::move(rebuilt);
  return out;
}

std::string rewrite_placeholders(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  std::size_t i = 0;
  auto copy_until = [&](std::string_view end) {
    auto pos = sql.find(end, i);
    std::size_t stop = pos == std::string_view::npos ? sql.size() : pos + end.size();
    out.append(sql.substr(i, stop - i));
    i = stop;
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '?') {
      out += '$' + std::to_string(++n);
      ++i;
    } else if (c == '\'') {
      // E'…' strings escape quotes with a backslash; standard strings double them, which
      // the loop handles as two adjacent literals.
      bool escapes =
          i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !is_ident(sql[i - 2]));
      out += c;
      ++i;
      while (i < sql.size() && sql[i] != '\'') {
        if (escapes && sql[i] == '\\' && i + 1 < sql.size()) out += sql[i++];
        out += sql[i++];
      }
      if (i < sql.size()) out += sql[i++];
    } else if (c == '"') {
      out += c;
      ++i;
      copy_until("\"");
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      copy_until("\n");
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      int depth = 0;  // PostgreSQL block comments nest
      do {
        if (sql.substr(i, 2) == "/*") {
          ++depth;
          out.append("/*");
          i += 2;
        } else if (sql.substr(i, 2) == "*/") {
          --depth;
          out.append("*/");
          i += 2;
        } else {
          out += sql[i++];
        }
      } while (depth > 0 && i < sql.size());
    } else if (c == '$' && (i == 0 || !is_ident(sql[i - 1]))) {
      // $tag$ … $tag$ dollar quoting; $1 is a placeholder someone wrote by hand.
      std::size_t j = i + 1;
      while (j < sql.size() && is_ident(sql[j]) &&
             !(j == i + 1 && std::isdigit(static_cast<unsigned char>(sql[j])))) {
        ++j;
      }
      if (j < sql.size() && sql[j] == '$') {
        std::string tag(sql.substr(i, j - i + 1));
        out += tag;
        i = j + 1;
        copy_until(tag);
      } else {
        out += c;
        ++i;
      }
    } else {
      out += c;
      ++i;
    }
  }
  if (count != nullptr) *count = n;
  return out;
}

Status dump_database(const std::string& url, const std::string& dest) {
  std::string tool = find_tool("pg_dump");
  if (tool.empty()) return fail(ErrorCode::unavailable, "pg_dump not found in PATH");
  SplitUrl split = split_password(url);
  fs::path target(dest);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  fs::path tmp = target.string() + ".tmp";
  fs::remove(tmp, ec);
  auto r = TRY(run_tool(
      {tool, "--format=custom", "--no-password", "--file=" + tmp.string(), "--dbname=" + split.url},
      split.password));
  if (r.exit_code != 0) {
    fs::remove(tmp, ec);
    return std::unexpected(tool_error("pg_dump", r));
  }
  TRY_STATUS(sync_path(tmp, false));
  fs::rename(tmp, target, ec);
  if (ec) return fail(ErrorCode::internal, "cannot move backup into place: " + ec.message());
  return sync_path(target.has_parent_path() ? target.parent_path() : fs::path("."), true);
}

Status restore(const std::string& url, const std::string& src) {
  std::error_code ec;
  if (!fs::is_regular_file(src, ec)) return invalid("src", "backup file not found");
  {
    // pg_dump's custom format starts with this magic; checking it here gives a clear
    // `invalid` instead of whatever pg_restore prints.
    char magic[5] = {};
    std::ifstream in(src, std::ios::binary);
    in.read(magic, sizeof magic);
    if (!in || std::string_view(magic, 5) != "PGDMP") {
      return invalid("src", "backup file is not a pg_dump custom-format archive");
    }
  }
  std::string tool = find_tool("pg_restore");
  if (tool.empty()) return fail(ErrorCode::unavailable, "pg_restore not found in PATH");
  // pg_restore --clean drops the tables under a running server's feet: its sessions would
  // fail, or write into the old tables until the drop and lose it.
  try {
    pqxx::connection c(url);
    pqxx::nontransaction q(c);
    auto others = q.exec1(
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND pid <> pg_backend_pid() AND backend_type = "
                       "'client backend'")[0]
                      .as<std::int64_t>();
    if (others > 0) {
      return fail(ErrorCode::conflict,
                  std::to_string(others) +
                      " other session(s) are connected to the database (stop the server "
                      "before restoring)",
                  "database");
    }
  } catch (const std::exception& e) {
    return fail(ErrorCode::unavailable,
                std::string("cannot connect to the database to restore into: ") + e.what());
  }
  SplitUrl split = split_password(url);
  // One transaction: a restore that fails half-way leaves the old database untouched.
  // Owners and grants name roles of the source cluster, which the target may not have.
  auto r = TRY(run_tool(
      {tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
       "--exit-on-error", "--no-password", "--dbname=" + split.url, src},
      split.password));
  if (r.exit_code != 0) return std::unexpected(tool_error("pg_restore", r));
  return {};
}

}  // namespace dangan::store::postgres
