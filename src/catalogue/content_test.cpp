// Content identification, text extraction, watermarks and the virus scanner.
#include "catalogue/content.h"

#include <doctest/doctest.h>
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-page.h>

#include <memory>
#include <vips/vips8>

#include "catalogue/attachments_testing.h"
#include "catalogue/virus_scan.h"
#include "catalogue/watermark.h"
#include "text/text.h"

using namespace dangan;
using namespace dangan::catalogue;
using namespace dangan::catalogue::testing;

namespace {

// 档案管理 in GB18030 (the same bytes as GBK and GB2312).
const std::string kGbDangAnGuanLi = "\xB5\xB5\xB0\xB8\xB9\xDC\xC0\xED";

std::string pdf_text_of(const std::string& pdf) {
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(pdf.data(), static_cast<int>(pdf.size())));
  REQUIRE(doc);
  std::string out;
  for (int i = 0; i < doc->pages(); ++i) {
    std::unique_ptr<poppler::page> p(doc->create_page(i));
    auto t = p->text().to_utf8();
    out.append(t.data(), t.size());
  }
  return out;
}

}  // namespace

TEST_CASE("content: the MIME type and format come from the bytes, not the name") {
  auto pdf = identify(make_pdf({"Annual report"}));
  CHECK(pdf.mime == "application/pdf");
  CHECK(pdf.format == "PDF 1.4");
  CHECK(pdf.description.find("PDF document") != std::string::npos);

  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde",
                        33);
  auto image = identify(png);
  CHECK(image.mime == "image/png");
  CHECK(image.format == "PNG image");

  auto utf8 = identify("档案管理 archive management\n");
  CHECK(utf8.mime == "text/plain");
  CHECK(utf8.format == "UTF-8 text");
  CHECK(utf8.charset == "UTF-8");
  CHECK(identify("plain ascii\n").format == "ASCII text");

  auto gb = identify(kGbDangAnGuanLi + " GB18030 " + kGbDangAnGuanLi + "\n");
  CHECK(gb.charset == "GB18030");
  CHECK(gb.format == "GB18030 text");

  auto html = identify("<!DOCTYPE html><html><head><title>t</title></head><body>x</body></html>");
  CHECK(html.mime == "text/html");
  CHECK(html.format == "HTML document (ASCII)");

  auto zip = identify(std::string("PK\x05\x06", 4) + std::string(18, '\0'));
  CHECK(zip.mime == "application/zip");
}

TEST_CASE("content: text of a real PDF") {
  auto pdf = make_pdf({"Fixity report 2024", "Archive of Zhang Jianguo"});
  auto t = extract_text(pdf, identify(pdf));
  CHECK(t.status == ExtractedText::Status::extracted);
  CHECK(t.text.find("Fixity report 2024") != std::string::npos);
  CHECK(t.text.find("Zhang Jianguo") != std::string::npos);

  auto broken = pdf.substr(0, 40);
  auto b = extract_text(broken, Identification{"application/pdf", "PDF 1.4", "", ""});
  CHECK(b.status == ExtractedText::Status::failed);
}

TEST_CASE("content: HTML loses tags, scripts and styles, and keeps decoded text") {
  std::string html =
      "<html><head><title>档案 title</title><style>body{color:red}</style>"
      "<script>var secret = 'do-not-index';</script></head><body>"
      "<h1>Fonds&nbsp;QZ01 &amp; 全宗</h1><p>First&lt;para&gt; &#26723;&#26696;</p>"
      "<!-- hidden comment --><div>Second<br>line</div><noscript>nojs</noscript></body></html>";
  std::string text = html_to_text(html);
  CHECK(text.find("档案 title") != std::string::npos);
  CHECK(text.find("Fonds\xC2\xA0QZ01 & 全宗") != std::string::npos);
  CHECK(text.find("First<para> 档案") != std::string::npos);
  CHECK(text.find("Second\nline") != std::string::npos);
  CHECK(text.find("do-not-index") == std::string::npos);
  CHECK(text.find("color:red") == std::string::npos);
  CHECK(text.find("hidden comment") == std::string::npos);
  CHECK(text.find("nojs") == std::string::npos);
  CHECK(text.find('<' + std::string("p>")) == std::string::npos);

  // A GB2312 page that says so, and a GB18030 page that does not: both come out UTF-8.
  std::string declared =
      "<html><head><meta charset=\"gb2312\"></head><body>" + kGbDangAnGuanLi + "</body></html>";
  CHECK(html_to_text(declared).find("档案管理") != std::string::npos);
  std::string undeclared = "<html><body><p>" + kGbDangAnGuanLi + "</p></body></html>";
  CHECK(html_to_text(undeclared).find("档案管理") != std::string::npos);
  auto id = identify(html);
  auto ex = extract_text(html, id);
  CHECK(ex.status == ExtractedText::Status::extracted);
  CHECK(ex.text.find("do-not-index") == std::string::npos);
}

TEST_CASE("content: plain text in GB18030 and UTF-16 is converted; the size is capped") {
  std::string utf8;
  std::string cs;
  REQUIRE(decode_text(kGbDangAnGuanLi, utf8, &cs));
  CHECK(utf8 == "档案管理");
  CHECK(cs == "GB18030");
  REQUIRE(decode_text(std::string("\xFF\xFE\x63\x68\x48\x68", 6), utf8, &cs));  // UTF-16LE
  CHECK(utf8 == "档案");
  CHECK(cs == "UTF-16");
  CHECK_FALSE(decode_text("\x81\x30\xFF\xFF binary", utf8, &cs));

  std::string big;
  while (big.size() < kMaxText + 1000) big += "档案";
  auto t = extract_text(big, identify(big));
  CHECK(t.status == ExtractedText::Status::extracted);
  CHECK(t.text.size() <= kMaxText);
  CHECK(t.text.size() > kMaxText - 4);
  CHECK(text::valid_utf8(t.text));
  CHECK(t.note.find("cut") != std::string::npos);

  auto image = extract_text("\x89PNG", Identification{"image/png", "PNG image", "", ""});
  CHECK(image.status == ExtractedText::Status::none);
  CHECK(truncate_utf8("档案", 4) == "档");
}

TEST_CASE("watermark: text, HTML and PDF carry a visible line; other formats a header") {
  std::string line = "dangan: downloaded by agent (user 7) at 2025-01-01T08:00:00Z";
  auto text = watermark("第一行\nsecond\n", "text/plain", "UTF-8", line);
  CHECK(text.method == "text");
  CHECK(text.body == "[" + line + "]\n第一行\nsecond\n");
  CHECK(text.content_type == "text/plain; charset=utf-8");

  auto gb = watermark(kGbDangAnGuanLi + "\r\n", "text/plain", "GB18030", line);
  CHECK(gb.body == "[" + line + "]\r\n" + kGbDangAnGuanLi + "\r\n");
  CHECK(gb.content_type == "text/plain; charset=GB18030");

  auto html = watermark("<html><BODY class=\"x\"><p>content</p></BODY></html>", "text/html",
                        "ASCII", line + " <script>");
  CHECK(html.method == "html");
  auto at = html.body.find("<BODY class=\"x\">");
  auto mark = html.body.find("dangan: downloaded by agent");
  REQUIRE(mark != std::string::npos);
  CHECK(at < mark);
  CHECK(mark < html.body.find("<p>content"));
  CHECK(html.body.find("&lt;script&gt;") != std::string::npos);

  auto pdf = watermark(make_pdf({"Original page text"}), "application/pdf", "", line);
  REQUIRE(pdf.method == "pdf");
  std::string shown = pdf_text_of(pdf.body);
  CHECK(shown.find("Original page text") != std::string::npos);
  CHECK(shown.find("downloaded by agent (user 7)") != std::string::npos);

  auto damaged = watermark("%PDF-1.4 not really", "application/pdf", "", line);
  CHECK(damaged.method == "header");
  CHECK(damaged.body == "%PDF-1.4 not really");
  auto broken_image = watermark("\x89PNG", "image/png", "", line);
  CHECK(broken_image.method == "header");
  CHECK(ascii_line("张三 agent\n") == "?????? agent?");
}

TEST_CASE("virus scan: test signatures find EICAR and a test pattern; clean content passes") {
  TempDir t;
  write_test_signatures(t.path / "clamav");
  VirusScanner scanner((t.path / "clamav").string(), 64 << 20);
  REQUIRE(scanner.wait_ready(std::chrono::seconds(20)));
  auto infected = scanner.scan(eicar());
  CHECK(infected.kind == ScanVerdict::Kind::infected);
  CHECK(infected.signature.find("Dangan.Test.EICAR") == 0);
  CHECK(infected.engine.find("ClamAV") == 0);
  auto pattern = scanner.scan("prefix " + std::string(kTestPattern) + " suffix");
  CHECK(pattern.kind == ScanVerdict::Kind::infected);
  CHECK(pattern.signature.find("Dangan.Test.Pattern") == 0);
  // Inside a PDF stream too.
  auto in_pdf = scanner.scan(make_pdf({kTestPattern}));
  CHECK(in_pdf.kind == ScanVerdict::Kind::infected);
  auto clean = scanner.scan(make_pdf({"nothing to see"}));
  CHECK(clean.kind == ScanVerdict::Kind::clean);

  VirusScanner none((t.path / "no-such-dir").string(), 1 << 20);
  auto v = none.scan("anything", std::chrono::seconds(5));
  CHECK(v.kind == ScanVerdict::Kind::unavailable);
  CHECK(v.message.find("no ClamAV signature directory") != std::string::npos);
  fs::create_directories(t.path / "empty");
  VirusScanner empty((t.path / "empty").string(), 1 << 20);
  CHECK(empty.scan("anything", std::chrono::seconds(5)).kind == ScanVerdict::Kind::unavailable);
}

TEST_CASE("watermark: JPEG and PNG images get a visible band at the foot, same size and format") {
  REQUIRE(VIPS_INIT("dangan-test") == 0);
  std::string line = "dangan: downloaded by manager (user 3) at 2025-01-01T08:00:00Z";
  for (const char* suffix : {".png", ".jpg", ".tif"}) {
    INFO(suffix);
    // A mid-grey picture, 600 x 400.
    vips::VImage grey =
        (vips::VImage::black(600, 400, vips::VImage::option()->set("bands", 3)) + 128)
            .cast(VIPS_FORMAT_UCHAR);
    void* buf = nullptr;
    std::size_t size = 0;
    grey.write_to_buffer(suffix, &buf, &size);
    std::string original(static_cast<const char*>(buf), size);
    g_free(buf);
    auto id = identify(original);
    auto marked = watermark(original, id.mime, "", line);
    REQUIRE(marked.method == "image");
    CHECK(identify(marked.body).mime == id.mime);
    vips::VImage out = vips::VImage::new_from_buffer(marked.body.data(), marked.body.size(), "");
    CHECK(out.width() == 600);
    CHECK(out.height() == 400);
    // The top of the picture is untouched; the foot has the light band and dark text.
    vips::VImage top = out.extract_area(0, 0, 600, 300);
    CHECK(top.min() > 120);
    CHECK(top.max() < 136);
    vips::VImage foot = out.extract_area(0, 370, 600, 30);
    CHECK(foot.max() > 200);
    CHECK(foot.min() < 60);
  }
  auto gif = watermark("GIF89a", "image/gif", "", line);
  CHECK(gif.method == "header");
}
