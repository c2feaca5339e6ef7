// tables_test.cpp — the table readers and writers: CSV edge cases, encodings, XLSX
// cells and dates, JSON streams, and round trips between every pair of formats.
#include "transfer/tables.h"

#include <doctest/doctest.h>
#include <unicode/ucnv.h>
#include <unistd.h>
#include <zip.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dangan::transfer {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct TempDir {
  fs::path path;
  TempDir() {
    static std::atomic<int> counter{0};
    path = fs::temp_directory_path() /
           ("dangan-tables-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Table {
  std::vector<std::string> columns;
  std::vector<Row> rows;
};

Table read_all(Format f, const Input& in, ReadOptions o = {}) {
  auto r = open_reader(f, in, o);
  if (!r) FAIL("open failed: ", r.error().message);
  Table t;
  Row row;
  for (;;) {
    auto more = (*r)->next(row);
    if (!more) FAIL("read failed: ", more.error().message);
    if (!*more) break;
    t.rows.push_back(row);
  }
  t.columns = (*r)->columns();
  CHECK((*r)->progress() == doctest::Approx(1.0));
  return t;
}

Table read_bytes(Format f, std::string bytes, ReadOptions o = {}) {
  return read_all(f, Input::memory(std::make_shared<const std::string>(std::move(bytes))), o);
}

std::string error_of(Format f, std::string bytes, ReadOptions o = {}) {
  auto in = Input::memory(std::make_shared<const std::string>(std::move(bytes)));
  auto r = open_reader(f, in, o);
  if (!r) return r.error().message;
  Row row;
  for (;;) {
    auto more = (*r)->next(row);
    if (!more) return more.error().message;
    if (!*more) return "";
  }
}

std::string gb18030(const std::string& utf8) {
  UErrorCode err = U_ZERO_ERROR;
  std::string out(utf8.size() * 2 + 16, '\0');
  int32_t n = ucnv_convert("GB18030", "UTF-8", out.data(), static_cast<int32_t>(out.size()),
                           utf8.data(), static_cast<int32_t>(utf8.size()), &err);
  REQUIRE(U_SUCCESS(err));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

TEST_CASE("csv: quotes, doubled quotes, newlines inside quotes, CRLF, BOM and empty cells") {
  std::string csv =
      "\xEF\xBB\xBF题名,年度,备注\r\n"
      "\"档案, 第一卷\",1998,\"他说\"\"好\"\"\"\r\n"
      "\"两行\n第二行\",,\r\n"
      "\r\n"
      ",,\r\n"
      "最后一行,2001,末尾没有换行";
  auto t = read_bytes(Format::csv, csv);
  CHECK(t.columns == std::vector<std::string>{"题名", "年度", "备注"});
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0].number == 2);
  CHECK(t.rows[0].cells[0] == "档案, 第一卷");
  CHECK(t.rows[0].cells[1] == "1998");
  CHECK(t.rows[0].cells[2] == "他说\"好\"");
  CHECK(t.rows[1].number == 3);
  CHECK(t.rows[1].cells[0] == "两行\n第二行");
  CHECK(t.rows[1].cells[1].is_null());
  // The blank line and the row of empty cells count, as a spreadsheet shows them.
  CHECK(t.rows[2].number == 6);
  CHECK(t.rows[2].cells[2] == "末尾没有换行");
}

TEST_CASE("csv: a GB18030 (GBK) file as Chinese Excel saves it is detected and decoded") {
  std::string utf8 =
      "题名,责任者,关键词\r\n《城市建设档案》汇编,市档案馆,城建；规划\r\n"
      "鎔鑄與𠀀,张三,\"引号\"\"内\"\r\n";
  auto t = read_bytes(Format::csv, gb18030(utf8));
  CHECK(t.columns == std::vector<std::string>{"题名", "责任者", "关键词"});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0].cells[0] == "《城市建设档案》汇编");
  CHECK(t.rows[0].cells[2] == "城建；规划");
  CHECK(t.rows[1].cells[0] == "鎔鑄與𠀀");  // four-byte GB18030 sequence
  CHECK(t.rows[1].cells[2] == "引号\"内");

  // Given explicitly too, and "gbk" is accepted as a name for it.
  ReadOptions o;
  o.encoding = "gbk";
  CHECK(read_bytes(Format::csv, gb18030(utf8), o).rows.size() == 2);

  // Long enough that the chunk boundaries fall inside multi-byte characters.
  std::string big = "题名,年度\r\n";
  for (int i = 0; i < 20000; ++i) big += "第" + std::to_string(i) + "号城建档案,2001\r\n";
  auto t2 = read_bytes(Format::csv, gb18030(big));
  REQUIRE(t2.rows.size() == 20000);
  CHECK(t2.rows[19999].cells[0] == "第19999号城建档案");
}

TEST_CASE("csv: UTF-16 with a BOM, tab and semicolon delimiters") {
  std::string utf16 = "\xFF\xFE";
  for (char16_t c : std::u16string(u"题名\t年度\n档案\t1998\n")) {
    utf16.push_back(static_cast<char>(c & 0xFF));
    utf16.push_back(static_cast<char>(c >> 8));
  }
  auto t = read_bytes(Format::csv, utf16);
  CHECK(t.columns == std::vector<std::string>{"题名", "年度"});
  REQUIRE(t.rows.size() == 1);
  CHECK(t.rows[0].cells[1] == "1998");

  auto s = read_bytes(Format::csv, "title;year\n\"a;b\";2001\n");
  CHECK(s.columns == std::vector<std::string>{"title", "year"});
  CHECK(s.rows[0].cells[0] == "a;b");
}

TEST_CASE("csv: errors say where") {
  CHECK(error_of(Format::csv, "title\nok\n\"never closed\nmore\n") ==
        "row 3: a quoted field (\"…) is never closed");
  CHECK(error_of(Format::csv, "") == "the file has no header row");
  // Valid UTF-8 at the start, an invalid byte later: the row is named.
  std::string late = "title\n" + std::string(70000, 'a') + "\n" + "bad \xFF byte\n";
  ReadOptions utf8;
  utf8.encoding = "utf-8";
  CHECK(error_of(Format::csv, late, utf8).starts_with("row 3: not valid UTF-8"));
  CHECK(error_of(Format::csv, "a\n", ReadOptions{"latin-9", 0, ""}).find("unknown encoding") !=
        std::string::npos);
}

TEST_CASE("xlsx: serial numbers in date cells become ISO dates") {
  CHECK(excel_serial_to_iso(1) == "1900-01-01");
  CHECK(excel_serial_to_iso(59) == "1900-02-28");
  CHECK(excel_serial_to_iso(61) == "1900-03-01");
  CHECK(excel_serial_to_iso(45000) == "2023-03-15");
  CHECK(excel_serial_to_iso(45000.4375) == "2023-03-15T10:30:00");
  CHECK(excel_serial_to_iso(0, true) == "1904-01-01");
  CHECK(iso_to_excel_serial("2023-03-15") == 45000);
  CHECK(iso_to_excel_serial("1900-03-01") == 61);
  CHECK_FALSE(iso_to_excel_serial("1899-05-01"));  // before Excel's calendar: stays text
  CHECK_FALSE(iso_to_excel_serial("2023-02-29"));
  CHECK_FALSE(iso_to_excel_serial("2023-3-1"));
}

// The table every round trip writes and expects back.
std::vector<Column> sample_columns() {
  return {{"title", CellKind::text},        {"year", CellKind::integer},
          {"date_from", CellKind::date},    {"keywords", CellKind::list},
          {"important", CellKind::boolean}, {"note", CellKind::text}};
}
std::vector<std::vector<Cell>> sample_rows() {
  return {
      {"城市建设档案 \"第一卷\", 上册", 1998, "1998-03-05", json::array({"城建", "规划"}), true,
       "两行\n第二行"},
      {"檔案管理 (traditional)", 2001, "1899-12-01", json::array({"archives"}), false, nullptr},
      {"=SUM(A1) 不是公式", nullptr, nullptr, json::array(), false, "-1 是文字"},
      {"English title, with comma", 2023, "2023-12-31", json::array({"x"}), true, "  spaced  "},
  };
}

void write_sample(Format f, const std::string& path, WriteOptions o = {}) {
  auto w = open_writer(f, path, o);
  REQUIRE(w);
  REQUIRE((*w)->begin(sample_columns()));
  for (auto& r : sample_rows()) REQUIRE((*w)->write(r));
  auto s = (*w)->finish();
  if (!s) FAIL(s.error().message);
}

// What a reader gives back for a sample cell, as text (CSV keeps no types).
std::string as_text(const Cell& c) { return cell_text(c); }

void check_sample(const Table& t, bool typed, std::int64_t first_row = 2) {
  std::vector<std::string> names;
  for (auto& c : sample_columns()) names.push_back(c.name);
  CHECK(t.columns == names);
  auto rows = sample_rows();
  REQUIRE(t.rows.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(i);
    CHECK(t.rows[i].number == static_cast<std::int64_t>(i) + first_row);
    for (std::size_t k = 0; k < rows[i].size(); ++k) {
      CAPTURE(k);
      const Cell& want = rows[i][k];
      Cell got = k < t.rows[i].cells.size() ? t.rows[i].cells[k] : Cell();
      if (want.is_array() && want.empty()) {
        CHECK((got.is_null() || got == json::array()));
      } else if (want.is_null()) {
        CHECK(got.is_null());
      } else if (typed && !want.is_array()) {
        CHECK(got == want);
      } else {
        CHECK(as_text(got) == as_text(want));
      }
    }
  }
}

TEST_CASE("round trip: CSV, XLSX (inline and shared strings), JSON and NDJSON") {
  TempDir dir;
  write_sample(Format::csv, dir.file("a.csv"));
  std::string csv = read_file(dir.file("a.csv"));
  CHECK(csv.starts_with("\xEF\xBB\xBFtitle,year,"));
  CHECK(csv.find("\"'=SUM(A1) 不是公式\"") != std::string::npos);  // never a formula in Excel
  check_sample(read_all(Format::csv, Input::file(dir.file("a.csv"))), false);

  write_sample(Format::xlsx, dir.file("a.xlsx"));
  check_sample(read_all(Format::xlsx, Input::file(dir.file("a.xlsx"))), true);
  WriteOptions shared;
  shared.constant_memory = false;  // libxlsxwriter then uses the shared-string table
  write_sample(Format::xlsx, dir.file("b.xlsx"), shared);
  check_sample(read_all(Format::xlsx, Input::file(dir.file("b.xlsx"))), true);
  auto bytes = std::make_shared<const std::string>(read_file(dir.file("b.xlsx")));
  check_sample(read_all(Format::xlsx, Input::memory(bytes)), true);

  write_sample(Format::json, dir.file("a.json"));
  auto doc = json::parse(read_file(dir.file("a.json")));
  REQUIRE(doc.is_array());
  CHECK(doc[0]["keywords"] == json::array({"城建", "规划"}));
  CHECK(doc[1]["note"].is_null());
  check_sample(read_all(Format::json, Input::file(dir.file("a.json"))), true, 1);

  write_sample(Format::ndjson, dir.file("a.ndjson"));
  check_sample(read_all(Format::ndjson, Input::file(dir.file("a.ndjson"))), true, 1);

  // CSV → XLSX → JSON: what one format read, the next writes.
  auto from_csv = read_all(Format::csv, Input::file(dir.file("a.csv")));
  {
    auto w = open_writer(Format::xlsx, dir.file("c.xlsx"));
    REQUIRE(w);
    REQUIRE((*w)->begin(sample_columns()));
    for (auto& r : from_csv.rows) REQUIRE((*w)->write(r.cells));
    REQUIRE((*w)->finish());
  }
  auto from_xlsx = read_all(Format::xlsx, Input::file(dir.file("c.xlsx")));
  std::ostringstream out;
  {
    auto w = open_writer(Format::json, out);
    REQUIRE(w);
    REQUIRE((*w)->begin(sample_columns()));
    for (auto& r : from_xlsx.rows) REQUIRE((*w)->write(r.cells));
    REQUIRE((*w)->finish());
  }
  auto back = read_bytes(Format::json, out.str());
  check_sample(back, false, 1);
  CHECK(back.rows[0].cells[2] == "1998-03-05");  // a real date cell in between
}

TEST_CASE("xlsx: a named sheet; missing and malformed workbooks give clear errors") {
  TempDir dir;
  WriteOptions o;
  o.sheet_name = "目录";
  write_sample(Format::xlsx, dir.file("s.xlsx"), o);
  ReadOptions named;
  named.sheet = "目录";
  CHECK(read_all(Format::xlsx, Input::file(dir.file("s.xlsx")), named).rows.size() == 4);
  named.sheet = "other";
  auto bytes = read_file(dir.file("s.xlsx"));
  CHECK(error_of(Format::xlsx, bytes, named) == "no sheet named 'other' (the workbook has: 目录)");

  CHECK(error_of(Format::xlsx, "title,year\n1,2\n") ==
        "not an XLSX file (not a zip archive): save it from Excel as .xlsx");
  CHECK(error_of(Format::xlsx, std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + "xxxx") ==
        "an old Excel .xls file: save it as .xlsx (or CSV) and import that");
  // A truncated workbook.
  CHECK(error_of(Format::xlsx, bytes.substr(0, bytes.size() / 2)).starts_with("not "));

  // A zip that is not a workbook, and one whose sheet XML is broken.
  auto make_zip = [&](const std::string& path,
                      std::vector<std::pair<std::string, std::string>> entries) {
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    REQUIRE(z);
    for (auto& [name, data] : entries) {
      zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
      REQUIRE(zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_UTF_8) >= 0);
    }
    REQUIRE(zip_close(z) == 0);
  };
  make_zip(dir.file("n.xlsx"), {{"hello.txt", "hi"}});
  CHECK(error_of(Format::xlsx, read_file(dir.file("n.xlsx"))) ==
        "not an XLSX workbook: xl/workbook.xml is missing");
  make_zip(
      dir.file("m.xlsx"),
      {{"xl/workbook.xml",
        "<workbook xmlns:r=\"r\"><sheets><sheet name=\"S\" r:id=\"rId1\"/></sheets></workbook>"},
       {"xl/_rels/workbook.xml.rels",
        "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/>"
        "</Relationships>"},
       {"xl/worksheets/sheet1.xml",
        "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>title</t></is>"
        "</c></row><row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>x</is></c></row>"
        "</sheetData></worksheet>"}});
  CHECK(error_of(Format::xlsx, read_file(dir.file("m.xlsx")))
            .starts_with("XLSX: row after row 1 is not valid XML"));
}

TEST_CASE("xlsx: cell types, columns by reference, date styles, rich text, prefixes") {
  TempDir dir;
  int err = 0;
  std::string path = dir.file("t.xlsx");
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  REQUIRE(z);
  std::vector<std::pair<std::string, std::string>> entries = {
      {"xl/workbook.xml",
       "<x:workbook xmlns:x=\"m\" xmlns:r=\"r\"><x:workbookPr/><x:sheets>"
       "<x:sheet name=\"A\" r:id=\"rId7\"/></x:sheets></x:workbook>"},
      {"xl/_rels/workbook.xml.rels",
       "<Relationships><Relationship Id=\"rId7\" Target=\"/xl/worksheets/data.xml\"/>"
       "</Relationships>"},
      {"xl/styles.xml",
       "<styleSheet><numFmts><numFmt numFmtId=\"176\" formatCode=\"yyyy&quot;年&quot;m&quot;月"
       "&quot;d&quot;日&quot;\"/><numFmt numFmtId=\"177\" formatCode=\"[Red]0.00\"/></numFmts>"
       "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"176\"/>"
       "<xf numFmtId=\"177\"/></cellXfs></styleSheet>"},
      {"xl/sharedStrings.xml",
       "<sst><si><t>题名</t></si><si><r><t>富</t></r><r><t xml:space=\"preserve\">文本 </t></r>"
       "<rPh><t>ふ</t></rPh></si><si><t>年度</t></si><si><t>日期</t></si></sst>"},
      {"xl/worksheets/data.xml",
       "<x:worksheet xmlns:x=\"m\"><x:dimension ref=\"A1:D4\"/><x:sheetData>"
       "<x:row r=\"1\"><x:c r=\"A1\" t=\"s\"><x:v>0</x:v></x:c><x:c r=\"B1\" t=\"s\"><x:v>2</x:v>"
       "</x:c><x:c r=\"D1\" t=\"s\"><x:v>3</x:v></x:c></x:row>"
       "<x:row r=\"3\"><x:c r=\"A3\" t=\"s\"><x:v>1</x:v></x:c><x:c r=\"B3\"><x:v>1998</x:v></x:c>"
       "<x:c r=\"C3\" t=\"b\"><x:v>1</x:v></x:c><x:c r=\"D3\" "
       "s=\"2\"><x:v>45000</x:v></x:c></x:row>"
       "<x:row r=\"4\"><x:c r=\"A4\" t=\"str\"><x:f>A3</x:f><x:v>公式</x:v></x:c>"
       "<x:c r=\"B4\" s=\"3\"><x:v>1.5</x:v></x:c><x:c r=\"D4\" s=\"1\"><x:v>36526</x:v></x:c>"
       "</x:row><x:row r=\"5\"/></x:sheetData><x:rowBreaks/></x:worksheet>"}};
  for (auto& [name, data] : entries) {
    zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
    REQUIRE(zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_UTF_8) >= 0);
  }
  REQUIRE(zip_close(z) == 0);
  auto t = read_all(Format::xlsx, Input::file(path));
  CHECK(t.columns == std::vector<std::string>{"题名", "年度", "column 3", "日期"});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0].number == 3);
  CHECK(t.rows[0].cells[0] == "富文本 ");
  CHECK(t.rows[0].cells[1] == 1998);
  CHECK(t.rows[0].cells[2] == true);
  CHECK(t.rows[0].cells[3] == "2023-03-15");
  CHECK(t.rows[1].cells[0] == "公式");
  CHECK(t.rows[1].cells[1] == 1.5);  // [Red]0.00 is not a date
  CHECK(t.rows[1].cells[3] == "2000-01-01");
  auto reader = open_reader(Format::xlsx, Input::file(path));
  REQUIRE(reader);
  CHECK((*reader)->row_count_hint() == 3);
}

TEST_CASE("json: an array streamed an object at a time, and NDJSON by line") {
  auto t = read_bytes(Format::json,
                      "\xEF\xBB\xBF [ {\"title\": \"括号 } 和 { 在字符串里\", \"year\": 1998},\n"
                      "{\"title\": \"转义 \\\" 引号\", \"keywords\": [\"a\", \"b\"], \"extra\": "
                      "{\"x\": [1, {\"y\": 2}]}},\n {}, {\"title\": \"\"} ,{\"year\": 2001}]");
  CHECK(t.columns == std::vector<std::string>{"title", "year", "keywords", "extra"});
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0].cells[0] == "括号 } 和 { 在字符串里");
  CHECK(t.rows[1].cells[0] == "转义 \" 引号");
  CHECK(t.rows[1].cells[2] == json::array({"a", "b"}));
  CHECK(t.rows[2].number == 5);
  CHECK(t.rows[2].cells[1] == 2001);

  auto n = read_bytes(Format::ndjson, "{\"title\":\"一\"}\n\n{\"title\":\"二\",\"year\":3}\r\n");
  REQUIRE(n.rows.size() == 2);
  CHECK(n.rows[1].number == 3);
  CHECK(n.rows[1].cells[1] == 3);
  // NDJSON handed in as "json" is read as NDJSON.
  CHECK(read_bytes(Format::json, "{\"a\":1}\n{\"a\":2}\n").rows.size() == 2);

  CHECK(error_of(Format::json, "[{\"a\":1}, 3]") == "row 2: each element must be an object");
  CHECK(error_of(Format::json, "[{\"a\":1} {\"a\":2}]") == "after element 1: expected ',' or ']'");
  CHECK(error_of(Format::json, "[{\"a\":1}, {\"a\":").starts_with("row 2: the object is never"));
  CHECK(error_of(Format::ndjson, "{\"a\":1}\n{\"a\":}\n").starts_with("row 2: not valid JSON"));
  CHECK(error_of(Format::json, "\"text\"") == "expected a JSON array of objects ([{…}, {…}])");
}

TEST_CASE("count_rows and formats by name and extension") {
  CHECK(count_rows(Format::csv,
                   Input::memory(std::make_shared<const std::string>("a\n1\n\n2\n3\n")), {}) == 3);
  CHECK(parse_format("XLSX") == Format::xlsx);
  CHECK(parse_format("dc") == Format::dublin_core);
  CHECK_FALSE(parse_format("xls"));
  CHECK(format_from_path("/tmp/导出.NDJSON") == Format::ndjson);
  CHECK(format_from_path("a.jsonl") == Format::ndjson);
  CHECK_FALSE(format_from_path("README"));
}

}  // namespace
}  // namespace dangan::transfer
