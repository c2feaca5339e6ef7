// Electronic-signature metadata (D41): embedded signatures read from real signed PDFs
// (signed at test time with OpenSSL's CMS), tampered copies reported as not intact, and
// signatures recorded by staff, stored and audited on both backends.
#include "catalogue/attachments_signatures.h"

#include <doctest/doctest.h>

#include "catalogue/attachments_signatures_testing.h"
#include "catalogue/attachments_testing.h"

using namespace dangan;
using namespace dangan::catalogue::testing;
namespace att = dangan::catalogue::attachments;
using json = nlohmann::json;

TEST_CASE("attachments signatures: a signed PDF is read, checked and its signer shown") {
  TestSigner signer = make_test_signer("张三", "上海市档案馆");
  std::string pdf = make_signed_pdf(signer);
  if (const char* dump = std::getenv("DANGAN_DUMP_SIGNED_PDF")) write_file(dump, pdf);
  auto sigs = att::inspect_pdf_signatures(pdf);
  REQUIRE(sigs.size() == 1);
  json s = sigs[0];
  INFO(s.dump(2));
  CHECK(s["field"] == "Signature1");
  CHECK(s["filter"] == "Adobe.PPKLite");
  CHECK(s["sub_filter"] == "adbe.pkcs7.detached");
  CHECK(s["name"] == "张三");
  CHECK(s["reason"] == "归档确认 Approved for archiving");
  CHECK(s["location"] == "上海");
  CHECK(s["contact_info"] == "zhang@example.org");
  CHECK(s["signing_time"] == "2026-11-26T10:30:00+08:00");
  CHECK(s["coverage"] == "complete");
  CHECK(s["covered_bytes"].get<std::int64_t>() + 2 * 8192 + 2 ==
        static_cast<std::int64_t>(pdf.size()));
  CHECK(s["digest_algorithm"] == "SHA256");
  CHECK(s["digest"] == "match");
  CHECK(s["byte_range_digest"] == s["message_digest"]);
  CHECK(s["signature"] == "valid");
  CHECK(s["integrity"] == "intact");
  CHECK(s["trust"] == "not_verified");
  CHECK(s["problems"].empty());
  REQUIRE(s["certificate"].is_object());
  CHECK(s["certificate"]["subject"] == "CN=张三,O=上海市档案馆");
  CHECK(s["certificate"]["issuer"] == "CN=张三,O=上海市档案馆");
  CHECK(s["certificate"]["serial"] == "2026");
  CHECK(s["certificate"]["self_signed"] == true);
  CHECK(s["certificate"]["not_before"].get<std::string>().size() == 20);
}

TEST_CASE("attachments signatures: a changed byte inside the signed ranges is not intact") {
  TestSigner signer = make_test_signer("李四", "Test Archive");
  std::string pdf = tamper_signed_pdf(make_signed_pdf(signer));
  auto sigs = att::inspect_pdf_signatures(pdf);
  REQUIRE(sigs.size() == 1);
  INFO(sigs[0].dump(2));
  CHECK(sigs[0]["coverage"] == "complete");
  CHECK(sigs[0]["digest"] == "mismatch");
  CHECK(sigs[0]["byte_range_digest"] != sigs[0]["message_digest"]);
  CHECK(sigs[0]["signature"] == "valid");  // the signed attributes themselves are untouched
  CHECK(sigs[0]["integrity"] == "not_intact");
  CHECK(sigs[0]["problems"][0].get<std::string>().find("changed after signing") !=
        std::string::npos);
}

TEST_CASE("attachments signatures: bytes appended after signing are incomplete coverage") {
  TestSigner signer = make_test_signer("王五", "Test Archive");
  std::string signed_pdf = make_signed_pdf(signer);
  std::string pdf = append_update(signed_pdf);
  auto sigs = att::inspect_pdf_signatures(pdf);
  REQUIRE(sigs.size() == 1);
  INFO(sigs[0].dump(2));
  CHECK(sigs[0]["coverage"] == "incomplete");
  CHECK(sigs[0]["digest"] == "match");  // the signed revision itself is unchanged
  CHECK(sigs[0]["integrity"] == "not_intact");
  CHECK(sigs[0]["problems"][0].get<std::string>().find(
            "leaves out the last " + std::to_string(pdf.size() - signed_pdf.size())) !=
        std::string::npos);
}

TEST_CASE("attachments signatures: unsigned, broken and non-PDF files have none") {
  CHECK(att::inspect_pdf_signatures(make_pdf({"no signature"})).empty());
  CHECK(att::inspect_pdf_signatures("plain text").empty());
  CHECK(att::inspect_pdf_signatures("%PDF-1.7\nnot really a pdf").empty());
  // A signature whose /Contents is garbage: read, but its integrity unknown... or worse.
  TestSigner signer = make_test_signer("赵六", "Test Archive");
  std::string pdf = make_signed_pdf(signer);
  auto hole = pdf.find("/Contents <") + 11;
  for (int i = 0; i < 64; ++i) pdf[hole + static_cast<std::size_t>(i)] = 'f';
  auto sigs = att::inspect_pdf_signatures(pdf);
  REQUIRE(sigs.size() == 1);
  CHECK(sigs[0]["integrity"] == "unknown");
  CHECK(sigs[0]["digest"] == "not_checked");
  CHECK_FALSE(sigs[0]["problems"].empty());
}

TEST_CASE("attachments signatures: PDF dates") {
  CHECK(att::pdf_date_to_iso("D:20261126103000+08'00'") == "2026-11-26T10:30:00+08:00");
  CHECK(att::pdf_date_to_iso("D:20261126103000Z") == "2026-11-26T10:30:00Z");
  CHECK(att::pdf_date_to_iso("D:2026") == "2026-01-01T00:00:00");
  CHECK(att::pdf_date_to_iso("yesterday") == "");
}
