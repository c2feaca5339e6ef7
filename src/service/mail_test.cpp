// Contacts, prospects, e-mail in and out, files on tickets. `service:` cases run on
// SQLite and, in `make test`, on PostgreSQL too.
#include "service/mail.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "auth/auth.h"
#include "auth/testing.h"
#include "catalogue/attachments.h"
#include "catalogue/attachments_testing.h"
#include "core/testing.h"
#include "patrons/patrons.h"
#include "patrons/timeline.h"
#include "service/contacts.h"
#include "service/mime.h"
#include "service/ticket_files.h"
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
  TempDir dir{"mail"};
  audit::ReadRecorder reads;
  ManualClock clock{*parse_time("2026-11-23T09:00:00+08:00")};  // a Monday
  Desk desk;
  Contacts contacts;
  catalogue::VirusScanner scanner;
  TicketFiles files;
  Mail mail;
  Actor agent, manager, analyst, patron_actor;
  std::int64_t patron_id = 0;

  static MailSettings settings(const fs::path& dir) {
    MailSettings s;
    s.from_address = "desk@archives.example.cn";
    s.maildir = (dir / "Maildir").string();
    s.smtp_url = "smtp://127.0.0.1:1";  // nothing listens: sending fails and is retried
    return s;
  }
  // A ClamAV database that knows EICAR (attachments_testing.h).
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
        mail(tdb.db(), desk, contacts, files, settings(dir.path), clock) {
    desk.on_reply([this](store::Tx& tx, const Actor& by, std::int64_t t, std::int64_t m,
                         const std::string& channel, const std::string& body) {
      return mail.queue_reply(tx, by, t, m, channel, body);
    });
    for (auto* d : {"new", "cur", "tmp"}) fs::create_directories(dir.path / "Maildir" / d);
    agent = user("agent1", Role::agent);
    manager = user("manager1", Role::manager);
    analyst = user("analyst1", Role::analyst);
    patrons::Service registry(tdb.db(), reads);
    patron_id = must(registry.create(manager, {{"type", "person"},
                                               {"name", "李四"},
                                               {"emails", {"Li.Si@Example.cn"}},
                                               {"phones", {"+86 138-1234-5678"}}}))
                    .patron["id"];
    patron_actor = user("lisi", Role::patron, patron_id);
  }

  Actor user(const std::string& name, Role role, std::optional<std::int64_t> patron = {}) {
    return testing::make_user(tdb.db(), name, role, patron);
  }

  std::int64_t count(const std::string& sql, const store::Params& p = {}) {
    auto tx = must(tdb.db().begin(store::TxMode::read));
    return must(tx->one(sql, p, "count")).i64(0);
  }
  std::string text(const std::string& sql, const store::Params& p = {}) {
    auto tx = must(tdb.db().begin(store::TxMode::read));
    return must(tx->one(sql, p, "value")).str(0);
  }
};

std::string mail_from(const std::string& from, const std::string& subject, const std::string& id,
                      const std::string& extra_headers, const std::string& body) {
  return "From: " + from + "\r\nTo: desk@archives.example.cn\r\nSubject: " + subject +
         "\r\nMessage-ID: <" + id + ">\r\nDate: Mon, 23 Nov 2026 10:00:00 +0800\r\n" +
         extra_headers + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
         body + "\r\n";
}

}  // namespace

TEST_CASE("mime: a real-world message — RFC 2047 subject, GB2312 body, attachment, threading") {
  std::string raw =
      "From: =?UTF-8?B?5byg5LiJ?= <Zhang.San@Example.CN>\r\n"
      "To: desk@archives.example.cn\r\n"
      "Subject: =?GB2312?B?zcvQ3bW1sLiy6dGv?=\r\n"
      "Message-ID: <abc.123@mail.example.cn>\r\n"
      "In-Reply-To: <dangan.1@archives.example.cn>\r\n"
      "References: <first@x.cn> <dangan.1@archives.example.cn>\r\n"
      "Date: Mon, 23 Nov 2026 10:00:00 +0800\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
      "--b1\r\n"
      "Content-Type: text/plain; charset=GB2312\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n"
      "x+uw78OmsunRr87StcTNy9DdtbWwuA==\r\n"
      "--b1\r\n"
      "Content-Type: application/pdf\r\n"
      "Content-Disposition: attachment; filename*=UTF-8''%E8%AF%81%E6%98%8E.pdf\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n"
      "JVBERi0xLjQKJcOkw7zDtsOfCg==\r\n"
      "--b1--\r\n";
  auto p = must(mime::parse(raw));
  CHECK(p.from_address == "Zhang.San@Example.CN");
  CHECK(p.from_name == "张三");
  CHECK(p.subject == "退休档案查询");
  CHECK(p.message_id == "abc.123@mail.example.cn");
  CHECK(p.in_reply_to == "dangan.1@archives.example.cn");
  REQUIRE(p.references.size() == 2);
  CHECK(p.references[0] == "first@x.cn");
  CHECK(p.body == "请帮忙查询我的退休档案");
  CHECK(p.date.rfind("2026-11-23T02:00:00", 0) == 0);
  REQUIRE(p.attachments.size() == 1);
  CHECK(p.attachments[0].filename == "证明.pdf");
  CHECK(p.attachments[0].content.rfind("%PDF-1.4", 0) == 0);

  // HTML only: the text without tags, scripts or entities.
  auto h = must(
      mime::parse("From: a@b.cn\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                  "<html><script>alert(1)</script><p>档案&amp;证明</p></html>\r\n"));
  CHECK(h.body.find("档案&证明") != std::string::npos);
  CHECK(h.body.find("alert") == std::string::npos);

  CHECK_FALSE(mime::parse("no headers at all, just text").has_value());
  CHECK_FALSE(mime::parse("").has_value());
}

TEST_CASE("mime: a composed reply reads back the same") {
  mime::Outgoing m;
  m.from_address = "desk@archives.example.cn";
  m.from_name = "档案馆服务台";
  m.to_address = "li.si@example.cn";
  m.subject = "Re: 退休档案查询 [T2026-000001]";
  m.body = "您好，已为您查到档案。\n请于工作日来馆领取。";
  m.message_id = mime::new_message_id(m.from_address);
  m.in_reply_to = "abc@mail.example.cn";
  m.references = {"abc@mail.example.cn"};
  std::string raw = mime::compose(m);
  CHECK(raw.find("\r\n") != std::string::npos);
  for (unsigned char c : raw) CHECK(c < 0x80);  // 7-bit on the wire
  auto p = must(mime::parse(raw));
  CHECK(p.subject == m.subject);
  CHECK(p.message_id == m.message_id);
  CHECK(p.in_reply_to == "abc@mail.example.cn");
  CHECK(p.body.find("请于工作日来馆领取。") != std::string::npos);
  CHECK(m.message_id.ends_with("@archives.example.cn"));
  CHECK(mime::new_message_id("x@y.cn") != mime::new_message_id("x@y.cn"));
}

TEST_CASE("service: addresses match a patron by e-mail or phone, else one prospect") {
  testing::each_backend([](const std::string& backend) {
    World w(backend);
    CHECK(normalize_address("phone", "8613812345678") == "13812345678");
    CHECK(normalize_address("phone", "+86 138 1234 5678") == "13812345678");
    CHECK(normalize_address("email", "LI.SI@EXAMPLE.CN") == "li.si@example.cn");
    CHECK_FALSE(normalize_address("email", "not an address"));

    // A call logged with the patron's number in another notation.
    json call = must(w.contacts.record(w.agent, {{"channel", "phone"},
                                                 {"direction", "in"},
                                                 {"address", "8613812345678"},
                                                 {"subject", "询问开放时间"}}));
    CHECK(call["patron_id"] == w.patron_id);
    CHECK(call["prospect_id"].is_null());
    // …on the patron's timeline.
    CHECK(w.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind = "
                  "'interaction.recorded'",
                  {w.patron_id}) == 1);

    // A stranger writes twice by SMS: one prospect, two contacts.
    Inbound sms{"sms", "+86 139-0000-1111", "phone", "王先生", "", "我想查档案", "gw-1", {}, {}};
    auto first = must(w.contacts.receive(sms));
    REQUIRE(first.sender.prospect_id);
    sms.external_id = "gw-2";
    auto second = must(w.contacts.receive(sms));
    CHECK(second.sender.prospect_id == first.sender.prospect_id);
    // The same gateway message delivered again is not a third contact.
    auto again = must(w.contacts.receive(sms));
    CHECK(again.duplicate);
    CHECK(again.interaction_id == second.interaction_id);
    CHECK(w.count("SELECT COUNT(*) FROM interactions WHERE prospect_id = ?",
                  {*first.sender.prospect_id}) == 2);

    // Prospects are found by name (either script) and by number.
    auto found = must(w.contacts.list_prospects(w.agent, "13900001111", "open", {}, 50));
    REQUIRE(found["items"].size() == 1);
    CHECK(found["items"][0]["interactions"] == 2);
    CHECK(must(w.contacts.list_prospects(w.agent, "王", "open", {}, 50))["items"].size() == 1);
    CHECK(must(w.contacts.list_prospects(w.agent, "nobody", "open", {}, 50))["items"].empty());

    // Filters on the overall list.
    auto smses = must(w.contacts.list(w.agent, {.channel = "sms"}));
    CHECK(smses["items"].size() == 2);
    auto of_patron = must(w.contacts.list(w.agent, {.patron_id = w.patron_id}));
    REQUIRE(of_patron["items"].size() == 1);
    CHECK(of_patron["items"][0]["subject"] == "询问开放时间");
    // Analysts do not work contacts; patrons never see this list.
    CHECK_FALSE(w.contacts.list(w.analyst, {}).has_value());
    CHECK_FALSE(w.contacts.record(w.patron_actor, {{"channel", "phone"}}).has_value());
    auto bad =
        w.contacts.record(w.agent, {{"channel", "pigeon"}, {"direction", "in"}, {"body", "x"}});
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().field == "channel");
  });
}

TEST_CASE("service: merging a prospect moves contacts and tickets to the patron") {
  testing::each_backend([](const std::string& backend) {
    World w(backend);
    patrons::Service registry(w.tdb.db(), w.reads);
    std::int64_t other =
        must(registry.create(w.manager, {{"type", "person"}, {"name", "王五"}})).patron["id"];
    Inbound sms{"sms", "13900001111", "phone", "王先生", "", "档案查询进度？", "gw-9", {}, {}};
    auto got = must(w.contacts.receive(sms));
    std::int64_t prospect = *got.sender.prospect_id;
    json t = must(w.contacts.open_ticket(w.agent, got.interaction_id, {{"kind", "consultation"}}));
    CHECK(t["patron_id"].is_null());
    CHECK(w.count("SELECT COUNT(*) FROM tickets WHERE prospect_id = ?", {prospect}) == 1);
    // Linked once only.
    CHECK_FALSE(w.contacts.open_ticket(w.agent, got.interaction_id, {{"kind", "consultation"}})
                    .has_value());

    // An analyst may not merge; a merge needs a patron.
    CHECK_FALSE(w.contacts.merge_prospect(w.analyst, prospect, {{"patron_id", other}}).has_value());
    CHECK_FALSE(w.contacts.merge_prospect(w.agent, prospect, json::object()).has_value());
    json merged = must(w.contacts.merge_prospect(
        w.agent, prospect, {{"patron_id", other}, {"reason", "来电核实为本人"}}));
    CHECK(merged["status"] == "merged");
    CHECK(merged["merged_into"] == other);
    CHECK(w.count("SELECT COUNT(*) FROM tickets WHERE patron_id = ? AND prospect_id IS NULL",
                  {other}) == 1);
    CHECK(w.count("SELECT COUNT(*) FROM interactions WHERE patron_id = ?", {other}) == 1);
    CHECK(w.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind = 'prospect.merged'",
                  {other}) == 1);
    CHECK(w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'prospect.merge'") == 1);
    // The number is now the patron's: the next SMS matches them directly.
    sms.external_id = "gw-10";
    auto next = must(w.contacts.receive(sms));
    CHECK(next.sender.patron_id == other);
    CHECK_FALSE(next.sender.prospect_id);
    // Twice is refused.
    auto twice = w.contacts.merge_prospect(w.agent, prospect, {{"patron_id", other}});
    REQUIRE_FALSE(twice.has_value());
    CHECK(twice.error().code == ErrorCode::conflict);

    // When that patron is merged into another, their contacts and handles follow.
    must(registry.merge(w.manager, w.patron_id, other, "同一人重复建档"));
    CHECK(w.count("SELECT COUNT(*) FROM interactions WHERE patron_id = ?", {other}) == 0);
    CHECK(w.count("SELECT merged_into FROM prospects WHERE id = ?", {prospect}) == w.patron_id);

    // A social handle, once merged, leads to the patron too.
    Inbound dm{"social", "weibo:ArchiveFan", "handle", "", "", "你好", "wb-1", {}, {}};
    auto s1 = must(w.contacts.receive(dm));
    must(w.contacts.merge_prospect(w.agent, *s1.sender.prospect_id, {{"patron_id", w.patron_id}}));
    dm.external_id = "wb-2";
    CHECK(must(w.contacts.receive(dm)).sender.patron_id == w.patron_id);
  });
}

TEST_CASE(
    "service: e-mail in opens a ticket once, staff reply is queued, the answer threads back") {
  testing::each_backend([](const std::string& backend) {
    World w(backend);
    fs::path maildir = w.dir.path / "Maildir";
    // A stranger writes; the same file is delivered twice (two copies in new/).
    std::string first =
        mail_from("Wang <wang@mail.example.cn>", "=?UTF-8?B?5p+l5qGj?=", "m1@mail.example.cn", "",
                  "请问如何查档？");
    std::ofstream(maildir / "new" / "1700000000.1.host") << first;
    std::ofstream(maildir / "new" / "1700000000.2.host") << first;
    std::ofstream(maildir / "new" / "1700000000.3.host") << "garbage without headers";
    auto s = must(w.mail.sweep());
    CHECK(s.received == 1);
    CHECK(s.duplicates == 1);
    CHECK(s.errors == 1);
    CHECK(fs::is_empty(maildir / "new"));
    CHECK(fs::exists(maildir / "cur" / "1700000000.1.host:2,S"));
    CHECK(fs::exists(maildir / "error" / "1700000000.3.host"));
    CHECK(fs::exists(maildir / "error" / "1700000000.3.host.reason"));
    REQUIRE(w.count("SELECT COUNT(*) FROM tickets") == 1);
    std::int64_t ticket = w.count("SELECT id FROM tickets");
    CHECK(w.text("SELECT channel FROM tickets") == "email");
    CHECK(w.text("SELECT subject FROM tickets") == "查档");
    std::int64_t prospect = w.count("SELECT prospect_id FROM tickets");
    CHECK(prospect > 0);
    CHECK(w.text("SELECT email FROM prospects WHERE id = ?", {prospect}) == "wang@mail.example.cn");
    CHECK(w.text("SELECT display_name FROM prospects WHERE id = ?", {prospect}) == "Wang");

    // Staff reply by e-mail (the ticket's channel): queued with our Message-ID, threaded
    // under the stranger's message.
    must(w.desk.post(w.agent, ticket, {{"kind", "reply"}, {"body", "请携带身份证来馆。"}}));
    // A note is never mailed.
    must(w.desk.post(w.agent, ticket, {{"kind", "note"}, {"body", "内部备注"}}));
    auto m = must(w.mail.ticket_mail(w.agent, ticket));
    REQUIRE(m["outbound"].size() == 1);
    auto out = m["outbound"][0];
    CHECK(out["to"] == "wang@mail.example.cn");
    CHECK(out["status"] == "queued");
    CHECK(out["in_reply_to"] == "m1@mail.example.cn");
    CHECK(out["subject"].get<std::string>().find("[T2026-") != std::string::npos);
    CHECK(m["prospect"]["id"] == prospect);
    std::string ours = out["message_id"];

    // Nothing listens at the SMTP address: the message waits and is retried later.
    s = must(w.mail.sweep());
    CHECK(s.retrying == 1);
    m = must(w.mail.ticket_mail(w.agent, ticket));
    CHECK(m["outbound"][0]["status"] == "queued");
    CHECK(m["outbound"][0]["attempts"] == 1);
    CHECK_FALSE(m["outbound"][0]["last_error"].is_null());
    CHECK(w.mail.sweep()->retrying == 0);  // not due yet (1 minute)

    // The ticket is resolved; the stranger answers our mail: it reopens.
    must(w.desk.act(w.agent, ticket, "resolve", {{"resolution", "已告知"}}));
    std::ofstream(maildir / "new" / "1700000100.1.host") << mail_from(
        "wang@mail.example.cn", "Re: x", "m2@mail.example.cn",
        "In-Reply-To: <" + ours + ">\r\nReferences: <m1@mail.example.cn> <" + ours + ">\r\n",
        "还需要带户口本吗？");
    CHECK(must(w.mail.sweep()).received == 1);
    CHECK(w.count("SELECT COUNT(*) FROM tickets") == 1);
    CHECK(w.text("SELECT status FROM tickets WHERE id = ?", {ticket}) == "reopened");
    CHECK(w.count("SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = ? AND kind = 'patron'",
                  {ticket}) == 2);
    // Both mails are contacts of the prospect.
    CHECK(w.count("SELECT COUNT(*) FROM interactions WHERE prospect_id = ? AND channel = 'email'",
                  {prospect}) == 2);

    // A known patron writing (any case) gets a new ticket of their own.
    std::ofstream(maildir / "new" / "1700000200.1.host")
        << mail_from("LI.SI@example.cn", "新问题", "m3@example.cn", "", "你好");
    CHECK(must(w.mail.sweep()).received == 1);
    CHECK(w.count("SELECT COUNT(*) FROM tickets WHERE patron_id = ? AND channel = 'email'",
                  {w.patron_id}) == 1);
  });
}

TEST_CASE("service: a reply by e-mail needs an address; a failed message can be retried") {
  testing::each_backend([](const std::string& backend) {
    World w(backend);
    patrons::Service registry(w.tdb.db(), w.reads);
    std::int64_t no_mail =
        must(registry.create(w.manager, {{"type", "person"}, {"name", "赵六"}})).patron["id"];
    json t = must(w.desk.open(w.agent, {{"kind", "request"},
                                        {"channel", "counter"},
                                        {"subject", "复印"},
                                        {"body", "x"},
                                        {"patron_id", no_mail}}));
    auto refused =
        w.desk.post(w.agent, t["id"], {{"kind", "reply"}, {"channel", "email"}, {"body", "y"}});
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().field == "channel");
    // The refused reply left nothing behind (one transaction).
    CHECK(w.count("SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = ? AND kind = 'reply'",
                  {t["id"].get<std::int64_t>()}) == 0);
    // A counter ticket of a patron with an address: e-mail on request.
    json t2 = must(w.desk.open(w.agent, {{"kind", "request"},
                                         {"channel", "counter"},
                                         {"subject", "复印"},
                                         {"body", "x"},
                                         {"patron_id", w.patron_id}}));
    must(w.desk.post(w.agent, t2["id"], {{"kind", "reply"}, {"body", "on the counter"}}));
    CHECK(w.count("SELECT COUNT(*) FROM mail_outbox") == 0);
    must(w.desk.post(w.agent, t2["id"],
                     {{"kind", "reply"}, {"channel", "email"}, {"body", "by mail"}}));
    CHECK(w.text("SELECT to_address FROM mail_outbox") == "li.si@example.cn");
    // Six failed attempts (with the waits between them) and it is failed.
    for (int i = 0; i < 6; ++i) {
      must(w.mail.sweep());
      w.clock.advance(std::chrono::hours(7));
    }
    std::int64_t id = w.count("SELECT id FROM mail_outbox");
    CHECK(w.text("SELECT status FROM mail_outbox") == "failed");
    CHECK(w.count("SELECT attempts FROM mail_outbox") == 6);
    CHECK_FALSE(w.mail.retry(w.analyst, id).has_value());
    json again = must(w.mail.retry(w.agent, id));
    CHECK(again["status"] == "queued");
    CHECK(again["attempts"] == 0);
    CHECK(must(w.mail.outbox(w.manager, std::string("queued"), {}, 50))["items"].size() == 1);
  });
}

TEST_CASE("service: files on tickets — patrons see theirs but not those on notes") {
  testing::each_backend([](const std::string& backend) {
    World w(backend);
    json t = must(w.desk.open(w.patron_actor,
                              {{"kind", "request"}, {"subject", "补件"}, {"body", "附件见后"}}));
    std::int64_t id = t["id"];
    std::int64_t first_msg =
        w.count("SELECT MIN(id) FROM ticket_messages WHERE ticket_id = ?", {id});
    json up = must(w.files.upload(w.patron_actor, id, first_msg, "身份证.pdf",
                                  "%PDF-1.4\n%\xE2\xE3\n1 0 obj\n"));
    CHECK(up["mime"] == "application/pdf");
    CHECK_FALSE(up.contains("sha256"));
    must(w.desk.post(w.agent, id, {{"kind", "note"}, {"body", "核对"}}));
    std::int64_t note = w.count("SELECT MAX(id) FROM ticket_messages WHERE ticket_id = ?", {id});
    json internal = must(w.files.upload(w.agent, id, note, "核对记录.txt", "内部核对结果"));
    CHECK(internal["internal"] == true);
    // A patron may not attach to staff messages, nor to another patron's ticket.
    CHECK_FALSE(w.files.upload(w.patron_actor, id, note, "x.txt", "x").has_value());
    CHECK(must(w.files.list(w.patron_actor, id))["items"].size() == 1);
    CHECK(must(w.files.list(w.agent, id))["items"].size() == 2);
    auto hidden = w.files.download(w.patron_actor, internal["id"]);
    REQUIRE_FALSE(hidden.has_value());
    CHECK(hidden.error().code == ErrorCode::not_found);
    auto d = must(w.files.download(w.patron_actor, up["id"]));
    CHECK(d.body.rfind("%PDF-1.4", 0) == 0);
    CHECK(d.filename.find("filename*=UTF-8''%E8%BA%AB") != std::string::npos);
    // Encrypted at rest: the bytes on disk are not the plaintext.
    std::string sha = w.text("SELECT sha256 FROM ticket_attachments WHERE id = ?",
                             {internal["id"].get<std::int64_t>()});
    std::ifstream f(catalogue::blob_path(w.dir.path / "blobs-service", sha), std::ios::binary);
    std::string disk((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    CHECK(disk.find("内部核对结果") == std::string::npos);
    CHECK(disk.rfind("DGNBLOB1", 0) == 0);
    // Over the limit, or empty: refused.
    CHECK_FALSE(
        w.files.upload(w.agent, id, {}, "big.bin", std::string((1 << 20) + 1, 'x')).has_value());
    CHECK_FALSE(w.files.upload(w.agent, id, {}, "empty.txt", "").has_value());
  });
}

TEST_CASE("service: infected ticket files are refused and audited; scanner down follows policy") {
  testing::each_backend([](const std::string& backend) {
    World w(backend);
    json t = must(w.desk.open(w.patron_actor,
                              {{"kind", "request"}, {"subject", "补件"}, {"body", "附件见后"}}));
    std::int64_t id = t["id"];
    std::int64_t first_msg =
        w.count("SELECT MIN(id) FROM ticket_messages WHERE ticket_id = ?", {id});
    std::string eicar = catalogue::testing::eicar();
    // The patron's upload and the agent's: refused, nothing stored, each refusal audited.
    auto by_patron = w.files.upload(w.patron_actor, id, first_msg, "scan.pdf", eicar);
    REQUIRE_FALSE(by_patron.has_value());
    CHECK(by_patron.error().field == "file");
    CHECK(by_patron.error().message.starts_with(catalogue::attachments::kInfectedMessage));
    CHECK(by_patron.error().message.find("Dangan.Test.EICAR") != std::string::npos);
    auto by_agent = w.files.upload(w.agent, id, {}, "eicar.com", "prefix " + eicar + " suffix");
    REQUIRE_FALSE(by_agent.has_value());
    CHECK(by_agent.error().message.starts_with(catalogue::attachments::kInfectedMessage));
    CHECK(w.count("SELECT COUNT(*) FROM ticket_attachments") == 0);
    CHECK(w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'ticket.attach_refused' AND "
                  "entity_id = ? AND patron_id = ?",
                  {std::to_string(id), w.patron_id}) == 2);
    CHECK(w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'ticket.attach'") == 0);
    // A clean file passes and says so.
    json ok = must(w.files.upload(w.agent, id, {}, "note.txt", "干净的文件"));
    CHECK(ok["scan_status"] == "clean");
    CHECK(w.text("SELECT detail FROM audit_log WHERE action = 'ticket.attach'")
              .find("\"scan_status\":\"clean\"") != std::string::npos);

    // E-mail: the infected attachment is left out and said in the thread; the mail and
    // its clean attachment are taken in.
    std::string raw =
        "From: LI.SI@example.cn\r\nTo: desk@archives.example.cn\r\nSubject: files\r\n"
        "Message-ID: <virus1@example.cn>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n见附件\r\n"
        "--b1\r\nContent-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment; filename=\"eicar.com\"\r\n\r\n" +
        eicar +
        "\r\n--b1\r\nContent-Type: text/plain\r\n"
        "Content-Disposition: attachment; filename=\"ok.txt\"\r\n\r\nclean text\r\n"
        "--b1--\r\n";
    std::ofstream(w.dir.path / "Maildir" / "new" / "1700000300.1.host") << raw;
    CHECK(must(w.mail.sweep()).received == 1);
    std::int64_t mailed = w.count("SELECT MAX(id) FROM tickets");
    CHECK(mailed != id);
    CHECK(w.count("SELECT COUNT(*) FROM ticket_attachments WHERE ticket_id = ?", {mailed}) == 1);
    CHECK(w.text("SELECT filename FROM ticket_attachments WHERE ticket_id = ?", {mailed}) ==
          "ok.txt");
    CHECK(
        w.text("SELECT body FROM ticket_messages WHERE ticket_id = ? AND kind = 'system'", {mailed})
            .find("\"eicar.com\" not kept: the file is infected") != std::string::npos);
    CHECK(w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'ticket.attach_refused' AND "
                  "entity_id = ?",
                  {std::to_string(mailed)}) == 1);

    // No signatures: "refuse" stores nothing (unavailable); "accept" stores it unscanned.
    catalogue::VirusScanner broken((w.dir.path / "no-signatures").string(), 1 << 20);
    TicketFiles refusing(w.tdb.db(), w.reads, World::blobs(w.dir.path), 1 << 20, broken, "refuse",
                         w.clock);
    auto refused = refusing.upload(w.agent, id, {}, "a.txt", "text");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::unavailable);
    TicketFiles accepting(w.tdb.db(), w.reads, World::blobs(w.dir.path), 1 << 20, broken, "accept",
                          w.clock);
    CHECK(must(accepting.upload(w.agent, id, {}, "a.txt", "text"))["scan_status"] == "unscanned");
    CHECK(w.count("SELECT COUNT(*) FROM ticket_attachments WHERE ticket_id = ?", {id}) == 2);
  });
}

}  // namespace dangan::service
