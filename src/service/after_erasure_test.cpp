// After a patron is erased nothing new about them attaches to their anonymised record
// (patrons/writes.h, docs/privacy.md "After erasure"): no ticket, message, note, file,
// contact, visit or case, and an e-mail answering their old thread becomes a new contact
// from a stranger. `service:` cases run on SQLite and, in `make test`, on PostgreSQL too.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "auth/testing.h"
#include "catalogue/attachments.h"
#include "catalogue/attachments_testing.h"
#include "core/testing.h"
#include "patrons/patrons.h"
#include "service/board.h"
#include "service/contacts.h"
#include "service/erasure.h"
#include "service/mail.h"
#include "service/ticket_files.h"
#include "service/tickets.h"
#include "store/test_databases.h"

namespace dangan::service {

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

using testing::ManualClock;
using testing::must;
using testing::TempDir;


struct World {
  testing::TestDatabase tdb;
  TempDir dir{"erased"};
  audit::ReadRecorder reads;
  ManualClock clock{*parse_time("2026-11-23T09:00:00+08:00")};  // a Monday
  Desk desk;
  Contacts contacts;
  catalogue::VirusScanner scanner;
  TicketFiles files;
  Mail mail;
  Board board;
  patrons::Service registry;
  Actor agent, manager;
  std::int64_t patron_id = 0;

  static MailSettings settings(const fs::path& dir) {
    MailSettings s;
    s.from_address = "desk@archives.example.cn";
    s.maildir = (dir / "Maildir").string();
    s.smtp_url = "smtp://127.0.0.1:1";  // nothing listens: queued mail stays queued
    return s;
  }
  static std::string signatures(const fs::path& dir) {
    catalogue::testing::write_test_signatures(dir / "clamav");
    return (dir / "clamav").string();
  }
  static catalogue::BlobStoreConfig blobs(const fs::path& dir) {
    catalogue::BlobStoreConfig b;
    b.dir = dir / "blobs-service";
    b.key_file = dir / "blobs.key";
    return b;
  }

  explicit World(const std::string& backend)
      : tdb(backend),
        reads(tdb.db()),
        desk(tdb.db(), reads, "Asia/Shanghai", clock),
        contacts(tdb.db(), reads, desk, clock),
        scanner(signatures(dir.path), 1 << 20),
        files(tdb.db(), reads, blobs(dir.path), 1 << 20, scanner, "refuse", clock),
        mail(tdb.db(), desk, contacts, files, settings(dir.path), clock),
        board(tdb.db(), reads, desk, clock),
        registry(tdb.db(), reads) {
    desk.on_reply([this](store::Tx& tx, const Actor& by, std::int64_t t, std::int64_t m,
                         const std::string& channel, const std::string& body) {
      return mail.queue_reply(tx, by, t, m, channel, body);
    });
    declare_erasure(registry.erasure(), tdb.db(), {&files.blob_store(), nullptr});
    for (auto* d : {"new", "cur", "tmp"}) fs::create_directories(dir.path / "Maildir" / d);
    agent = testing::make_user(tdb.db(), "agent1", Role::agent);
    manager = testing::make_user(tdb.db(), "manager1", Role::manager);
    patron_id =
        must(registry.create(
                 manager, {{"type", "person"}, {"name", "李四"}, {"emails", {"li.si@example.cn"}}}))
            .patron["id"];
  }

  std::int64_t count(const std::string& sql, const store::Params& p = {}) {
    auto tx = must(tdb.db().begin(store::TxMode::read));
    return must(tx->one(sql, p, "count")).i64(0);
  }
  std::string text(const std::string& sql, const store::Params& p = {}) {
    auto tx = must(tdb.db().begin(store::TxMode::read));
    return must(tx->one(sql, p, "value")).str(0);
  }
  void erase() { must(registry.erase(manager, patron_id, "the patron asked to be forgotten")); }
};

// The refusal every write about an erased patron gets.
template <typename T>
void refused_as_erased(const Result<T>& r, std::int64_t patron_id) {
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::conflict);
  CHECK(r.error().field == "patron_id");
  CHECK(r.error().message.find("patron " + std::to_string(patron_id) + " has been erased") !=
        std::string::npos);
}

}  // namespace

TEST_CASE("service: after erasure no ticket, message, file or contact is added about the patron") {
  testing::each_backend([](const std::string& backend) {
    World w(backend);
    json t = must(w.desk.open(w.agent, {{"kind", "complaint"},
                                        {"channel", "phone"},
                                        {"subject", "复印件收费"},
                                        {"body", "来电称收费不符"},
                                        {"patron_id", w.patron_id}}));
    std::int64_t ticket = t["id"];
    json other = must(w.desk.open(w.agent, {{"kind", "consultation"},
                                            {"channel", "counter"},
                                            {"subject", "查档"},
                                            {"body", "问查档时间"},
                                            {"patron_id", w.patron_id}}));
    w.erase();
    const std::int64_t messages = w.count("SELECT COUNT(*) FROM ticket_messages");
    const std::int64_t tickets = w.count("SELECT COUNT(*) FROM tickets");

    refused_as_erased(w.desk.open(w.agent, {{"kind", "consultation"},
                                            {"channel", "phone"},
                                            {"subject", "新问题"},
                                            {"body", "又来电"},
                                            {"patron_id", w.patron_id}}),
                      w.patron_id);
    refused_as_erased(w.desk.post(w.agent, ticket, {{"kind", "reply"}, {"body", "您好"}}),
                      w.patron_id);
    refused_as_erased(w.desk.post(w.agent, ticket, {{"kind", "note"}, {"body", "回电"}}),
                      w.patron_id);
    refused_as_erased(w.desk.update(w.agent, ticket, {{"subject", "李四的投诉"}}), w.patron_id);
    refused_as_erased(w.desk.offer_recovery(w.agent, ticket, {{"cause", "c"}, {"remedy", "r"}}),
                      w.patron_id);
    refused_as_erased(w.files.upload(w.agent, ticket, std::nullopt, "a.txt", "李四的身份证\n"),
                      w.patron_id);
    refused_as_erased(w.contacts.record(w.agent, {{"channel", "phone"},
                                                  {"direction", "in"},
                                                  {"patron_id", w.patron_id},
                                                  {"body", "来电"}}),
                      w.patron_id);
    refused_as_erased(
        w.contacts.record(
            w.agent,
            {{"channel", "phone"}, {"direction", "out"}, {"ticket_id", ticket}, {"body", "回拨"}}),
        w.patron_id);
    refused_as_erased(w.desk.schedule_visit(w.agent, {{"patron_id", w.patron_id}}), w.patron_id);
    // A resolution text is refused; resolving without one is not.
    refused_as_erased(w.desk.act(w.agent, ticket, "resolve", {{"resolution", "已退款给李四"}}),
                      w.patron_id);
    CHECK(w.count("SELECT COUNT(*) FROM ticket_messages") == messages);
    CHECK(w.count("SELECT COUNT(*) FROM tickets") == tickets);
    CHECK(w.count("SELECT COUNT(*) FROM interactions") == 0);
    CHECK(w.count("SELECT COUNT(*) FROM ticket_attachments") == 0);
    CHECK(w.count("SELECT COUNT(*) FROM ticket_recoveries") == 0);
    CHECK(w.text("SELECT subject FROM tickets WHERE id = ?", {ticket}) == "(erased)");

    // The ticket can still be settled, so it leaves the queues: reassigned, resolved
    // without a text (a complaint without a remedy: nobody is left to offer one to) and
    // closed — with no follow-up visit and no portal notice. Reopening is refused.
    json moved = must(w.desk.update(w.agent, ticket, {{"priority", "low"}}));
    CHECK(moved["priority"] == "low");
    json done = must(w.desk.act(w.agent, ticket, "resolve", json::object()));
    CHECK(done["status"] == "resolved");
    CHECK(w.text("SELECT resolution FROM tickets WHERE id = ?", {ticket}) == "");
    done = must(w.desk.act(w.agent, ticket, "close", json::object()));
    CHECK(done["status"] == "closed");
    CHECK(w.count("SELECT COUNT(*) FROM follow_up_visits") == 0);
    CHECK(w.count("SELECT COUNT(*) FROM patron_notices") == 0);
    refused_as_erased(w.desk.act(w.agent, ticket, "reopen", {{"reason", "李四又来电"}}),
                      w.patron_id);
    // Settling it still counts on the patron's timeline, as erasure left the old events:
    // kind, time and actor, with nothing said (no ticket number, no subject).
    CHECK(w.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND ref_type = 'ticket' AND "
                  "ref_id = ? AND kind IN ('ticket.resolved', 'ticket.closed')",
                  {w.patron_id, std::to_string(ticket)}) == 2);
    CHECK(w.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind <> 'patron.erased' "
                  "AND (summary <> '' OR detail <> '{}')",
                  {w.patron_id}) == 0);
    // The erasure's own event still says what happened (nothing about the person).
    CHECK(w.text("SELECT summary FROM events WHERE patron_id = ? AND kind = 'patron.erased'",
                 {w.patron_id}) == "personal data erased");
    CHECK(w.count("SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = ? AND kind = 'system' "
                  "AND body NOT IN ('resolved', 'closed') AND body <> '(erased)'",
                  {ticket}) == 0);
    // The other ticket is only read: it shows the redacted text.
    json read = must(w.desk.get(w.agent, other["id"]));
    CHECK(read["subject"] == "(erased)");
  });
}

TEST_CASE("service: an active patron is written about as before; merged and unknown ones are not") {
  testing::each_backend([](const std::string& backend) {
    World w(backend);
    json t = must(w.desk.open(w.agent, {{"kind", "consultation"},
                                        {"channel", "phone"},
                                        {"subject", "查档"},
                                        {"body", "问开放时间"},
                                        {"patron_id", w.patron_id}}));
    must(w.desk.post(w.agent, t["id"], {{"kind", "note"}, {"body", "已答复"}}));
    auto unknown = w.desk.open(w.agent, {{"kind", "consultation"},
                                         {"channel", "phone"},
                                         {"subject", "x"},
                                         {"body", "y"},
                                         {"patron_id", 987654}});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == ErrorCode::invalid);
    CHECK(unknown.error().field == "patron_id");
    std::int64_t other =
        must(w.registry.create(w.manager, {{"type", "person"}, {"name", "王五"}})).patron["id"];
    must(w.registry.merge(w.manager, w.patron_id, other, "the same person, registered twice"));
    auto merged = w.contacts.record(
        w.agent, {{"channel", "phone"}, {"direction", "in"}, {"patron_id", other}, {"body", "z"}});
    REQUIRE_FALSE(merged);
    CHECK(merged.error().code == ErrorCode::conflict);
    CHECK(merged.error().field == "patron_id");
    CHECK(merged.error().message.find("merged into patron " + std::to_string(w.patron_id)) !=
          std::string::npos);
  });
}

TEST_CASE("service: an e-mail answering an erased patron's thread opens a stranger's ticket") {
  testing::each_backend([](const std::string& backend) {
    World w(backend);
    fs::path maildir = w.dir.path / "Maildir";
    auto deliver = [&](const std::string& name, const std::string& raw) {
      std::ofstream(maildir / "new" / name) << raw;
      CHECK(must(w.mail.sweep()).received == 1);
    };
    auto mail = [](const std::string& subject, const std::string& id, const std::string& headers,
                   const std::string& body) {
      return "From: Li Si <li.si@example.cn>\r\nTo: desk@archives.example.cn\r\nSubject: " +
             subject + "\r\nMessage-ID: <" + id + ">\r\nDate: Mon, 23 Nov 2026 10:00:00 +0800\r\n" +
             headers + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
             body + "\r\n";
    };
    // The patron writes; staff answer by e-mail.
    deliver("1700000000.1.host", mail("Enquiry", "p1@example.cn", "", "where is my file?"));
    REQUIRE(w.count("SELECT COUNT(*) FROM tickets WHERE patron_id = ?", {w.patron_id}) == 1);
    std::int64_t ticket = w.count("SELECT id FROM tickets WHERE patron_id = ?", {w.patron_id});
    std::string number = w.text("SELECT number FROM tickets WHERE id = ?", {ticket});
    must(w.desk.post(w.agent, ticket, {{"kind", "reply"}, {"body", "we found it"}}));
    std::string ours = w.text("SELECT message_id FROM mail_outbox WHERE ticket_id = ?", {ticket});

    w.erase();
    const std::int64_t on_ticket =
        w.count("SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = ?", {ticket});
    // They answer the old thread: by its headers and by the number in the subject.
    deliver("1700000100.1.host",
            mail("Re: Enquiry [" + number + "]", "p2@example.cn",
                 "In-Reply-To: <" + ours + ">\r\nReferences: <p1@example.cn> <" + ours + ">\r\n",
                 "thanks, I will come on Monday"));
    // Nothing lands on the erased patron's ticket.
    CHECK(w.count("SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = ?", {ticket}) ==
          on_ticket);
    CHECK(w.text("SELECT status FROM tickets WHERE id = ?", {ticket}) != "reopened");
    CHECK(w.count("SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = ? AND body LIKE ?",
                  {ticket, std::string("%Monday%")}) == 0);
    // A new ticket from a stranger (a prospect), not linked to the erased patron, with
    // nothing leading back to the old thread.
    REQUIRE(w.count("SELECT COUNT(*) FROM tickets WHERE id <> ?", {ticket}) == 1);
    std::int64_t fresh = w.count("SELECT id FROM tickets WHERE id <> ?", {ticket});
    CHECK(w.text("SELECT COALESCE(CAST(patron_id AS TEXT), 'none') FROM tickets WHERE id = ?",
                 {fresh}) == "none");
    CHECK(w.count("SELECT COUNT(*) FROM tickets WHERE id = ? AND prospect_id IS NOT NULL",
                  {fresh}) == 1);
    CHECK(w.text("SELECT subject FROM tickets WHERE id = ?", {fresh}) == "Re: Enquiry");
    CHECK(w.count("SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = ? AND body LIKE ?",
                  {fresh, std::string("%Monday%")}) == 1);
    CHECK(w.count("SELECT COUNT(*) FROM mail_inbound WHERE message_id = 'p2@example.cn' AND "
                  "ticket_id = ? AND in_reply_to IS NULL AND refs = '' AND subject = 'Re: Enquiry'",
                  {fresh}) == 1);
    // The new mail is the stranger's contact; the patron's only one is the redacted first.
    CHECK(w.count("SELECT COUNT(*) FROM interactions WHERE patron_id = ? AND body <> '(erased)'",
                  {w.patron_id}) == 0);
    CHECK(w.count("SELECT COUNT(*) FROM interactions WHERE prospect_id IS NOT NULL AND body LIKE ?",
                  {std::string("%Monday%")}) == 1);
  });
}

TEST_CASE("service: an erased patron's pending board posts are rejected without a reason") {
  testing::each_backend([](const std::string& backend) {
    World w(backend);
    Actor poster = testing::make_user(w.tdb.db(), "lisi", Role::patron, w.patron_id);
    std::int64_t pending = must(
        w.board.post(poster, {{"title", "查询李四的档案"}, {"body", "电话13812345678"}}))["id"];
    std::int64_t later =
        must(w.board.post(poster, {{"title", "另一个问题"}, {"body", "我是李四"}}))["id"];
    w.erase();
    refused_as_erased(w.board.publish(w.manager, pending, json::object()), w.patron_id);
    refused_as_erased(w.board.publish(w.manager, pending, {{"public_title", "档案查询"}}),
                      w.patron_id);
    refused_as_erased(w.board.answer(w.manager, pending, {{"answer", "请来馆查询"}}), w.patron_id);
    refused_as_erased(w.board.reject(w.manager, pending, {{"reason", "含李四的电话"}}),
                      w.patron_id);
    CHECK(w.count("SELECT COUNT(*) FROM board_posts WHERE status = 'pending'") == 2);
    json rejected = must(w.board.reject(w.manager, pending, json::object()));
    CHECK(rejected["status"] == "rejected");
    CHECK(w.text("SELECT reject_reason FROM board_posts WHERE id = ?", {pending}) == "");
    CHECK(w.count("SELECT COUNT(*) FROM board_posts WHERE id = ? AND status = 'pending'",
                  {later}) == 1);
  });
}

TEST_CASE("service: erasing a patron redacts why their post was not published") {
  testing::each_backend([](const std::string& backend) {
    World w(backend);
    Actor poster = testing::make_user(w.tdb.db(), "lisi", Role::patron, w.patron_id);
    std::int64_t id = must(w.board.post(poster, {{"title", "求助"}, {"body", "档案"}}))["id"];
    must(w.board.reject(w.manager, id, {{"reason", "李四已来电，改为工单"}}));
    w.erase();
    CHECK(w.text("SELECT reject_reason FROM board_posts WHERE id = ?", {id}) == "(erased)");
  });
}

}  // namespace dangan::service
