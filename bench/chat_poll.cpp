// chat_poll.cpp — what one poll of a chat stream costs (service::Watch::poll: the
// ticket's row and the thread after the last message seen), with nothing new and with
// one new line, on a thread of `lines` messages among `tickets` tickets.
//
//   bench_chat_poll [DATABASE_URL] [polls]      default: a fresh SQLite file, 20000 polls
//
// How many open chat streams one worker thread could poll every 2 s: 2 s / (µs per
// poll), before any other work (on PostgreSQL the time is mostly round trips, not CPU).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "patrons/patrons.h"
#include "service/chat.h"
#include "service/tickets.h"
#include "store/db.h"

using namespace dangan;
using Steady = std::chrono::steady_clock;

namespace {

template <typename T>
T must(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "%s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

Actor user(store::Database& db, const std::string& name, Role role,
           std::optional<std::int64_t> patron = {}) {
  auto tx = must(db.begin(store::TxMode::write), "begin");
  auth::NewUser u;
  u.username = name;
  u.display_name = name;
  u.password = "Correct-horse-battery-9";
  u.role = role;
  u.patron_id = patron;
  auto created = must(auth::create_user(*tx, u), "user");
  if (!tx->commit()) std::exit(1);
  Actor a;
  a.user_id = created.id;
  a.username = name;
  a.role = role;
  a.patron_id = patron;
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir;
  std::string url;
  if (argc > 1) {
    url = argv[1];
  } else {
    dir = std::filesystem::temp_directory_path() / ("bench-chat-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    url = "sqlite:" + (dir / "chat.db").string();
  }
  int polls = argc > 2 ? std::stoi(argv[2]) : 20000;
  auto db = must(store::open(url), "open");
  audit::ReadRecorder reads(*db);
  service::Desk desk(*db, reads);
  service::Chats chats(*db, desk, reads);
  Actor agent = user(*db, "bench_agent", Role::agent);
  Actor manager = user(*db, "bench_manager", Role::manager);
  patrons::Service registry(*db, reads);
  std::int64_t patron_id =
      must(registry.create(manager, {{"type", "person"}, {"name", "李四"}}), "patron").patron["id"];
  Actor patron = user(*db, "bench_patron", Role::patron, patron_id);
  constexpr int kTickets = 200, kLines = 50;
  std::int64_t watched = 0;
  for (int t = 0; t < kTickets; ++t) {
    auto ticket = must(chats.start(patron, {{"body", "开始"}}), "start");
    watched = ticket["id"];
    for (int i = 1; i < kLines; ++i)
      must(chats.say(agent, watched, {{"body", "第" + std::to_string(i) + "句"}}), "say");
  }
  auto watch = must(chats.watch(patron, watched, 0), "watch");
  must(watch->poll(), "first poll");
  auto start = Steady::now();
  for (int i = 0; i < polls; ++i) must(watch->poll(), "poll");
  double idle_us = std::chrono::duration<double, std::micro>(Steady::now() - start).count() / polls;

  int rounds = std::max(1, polls / 20);
  double say_us = 0, new_us = 0;
  for (int i = 0; i < rounds; ++i) {
    auto s0 = Steady::now();
    must(chats.say(agent, watched, {{"body", "新的一句"}}), "say");
    auto s1 = Steady::now();
    auto u = must(watch->poll(), "poll");
    auto s2 = Steady::now();
    if (u.lines.size() != 1) return 1;
    say_us += std::chrono::duration<double, std::micro>(s1 - s0).count();
    new_us += std::chrono::duration<double, std::micro>(s2 - s1).count();
  }
  std::printf(
      "backend=%s tickets=%d lines_per_ticket=%d poll_nothing_new_us=%.1f poll_one_new_us=%.1f "
      "post_line_us=%.1f streams_per_worker_at_2s=%.0f\n",
      db->backend() == store::Backend::sqlite ? "sqlite" : "postgres", kTickets, kLines, idle_us,
      new_us / rounds, say_us / rounds, 2e6 / idle_us);
  reads.flush();
  db.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}
