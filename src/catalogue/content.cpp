#include "catalogue/content.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <magic.h>
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>
#include <spdlog/spdlog.h>
#include <unicode/ucnv.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <memory>
#include <mutex>
#include <regex>
#include <vector>

#include "text/text.h"

namespace dangan::catalogue {

namespace {

// One libmagic handle per flag set, loaded once; libmagic handles are not thread-safe,
// so calls take the lock (identification costs well under a millisecond).
class Magic {
 public:
  static Magic& instance() {
    static Magic m;
    return m;
  }
  std::string run(int flags, std::string_view content) {
    std::lock_guard lock(mu_);
    magic_t& cookie = flags == MAGIC_MIME_TYPE       ? mime_
                      : flags == MAGIC_MIME_ENCODING ? enc_
                                                     : desc_;
    const char* r = cookie ? magic_buffer(cookie, content.data(), content.size()) : nullptr;
    return r ? std::string(r) : std::string();
  }

 private:
  Magic() {
    for (auto [cookie, flags] :
         {std::pair{&mime_, MAGIC_MIME_TYPE}, std::pair{&enc_, MAGIC_MIME_ENCODING},
          std::pair{&desc_, MAGIC_NONE}}) {
      *cookie = magic_open(flags);
      if (*cookie && magic_load(*cookie, nullptr) != 0) {
        spdlog::error("event=libmagic_load_failed error=\"{}\"", magic_error(*cookie));
        magic_close(*cookie);
        *cookie = nullptr;
      }
    }
  }
  std::mutex mu_;
  magic_t mime_ = nullptr, enc_ = nullptr, desc_ = nullptr;
};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (static_cast<unsigned char>(c) & 0x80) == 0; });
}

// Converts with ICU, failing on any byte sequence the charset does not define.
bool convert_strict(std::string_view bytes, const char* charset, std::string& utf8) {
  UErrorCode err = U_ZERO_ERROR;
  std::unique_ptr<UConverter, void (*)(UConverter*)> conv(ucnv_open(charset, &err), ucnv_close);
  if (U_FAILURE(err)) return false;
  ucnv_setToUCallBack(conv.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
  if (U_FAILURE(err) || bytes.size() > INT32_MAX / 2) return false;
  std::vector<UChar> u16(bytes.size() + 1);
  int32_t n = ucnv_toUChars(conv.get(), u16.data(), static_cast<int32_t>(u16.size()), bytes.data(),
                            static_cast<int32_t>(bytes.size()), &err);
  if (U_FAILURE(err)) return false;
  int32_t len8 = 0;
  err = U_ZERO_ERROR;
  u_strToUTF8(nullptr, 0, &len8, u16.data(), n, &err);
  if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err)) return false;
  utf8.assign(static_cast<std::size_t>(len8), '\0');
  err = U_ZERO_ERROR;
  u_strToUTF8(utf8.data(), len8, nullptr, u16.data(), n, &err);
  return U_SUCCESS(err) || err == U_STRING_NOT_TERMINATED_WARNING;
}

// Binary data decoded "successfully" as GB18030 shows itself by control characters.
bool looks_like_text(std::string_view utf8) {
  return std::none_of(utf8.begin(), utf8.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 && u != '\t' && u != '\n' && u != '\r' && u != '\f';
  });
}

std::string first_clause(std::string desc) {
  desc = desc.substr(0, desc.find(','));
  for (std::string_view suffix : {" data", " document"})
    if (desc.size() > suffix.size() && desc.ends_with(suffix))
      desc.resize(desc.size() - suffix.size());
  return desc;
}

bool is_plain_text_mime(std::string_view mime) {
  return (starts_with(mime, "text/") && mime != "text/html" && mime != "text/xml" &&
          mime != "text/rtf") ||
         mime == "application/json" || mime == "application/csv";
}
bool is_html_mime(std::string_view mime) {
  return mime == "text/html" || mime == "application/xhtml+xml";
}

// The charset an HTML document declares in its first bytes (<meta charset=…> or
// <meta http-equiv content="…; charset=…">), lower case; "" when none.
std::string declared_html_charset(std::string_view html) {
  static const std::regex re(R"(<meta[^>]*charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+))",
                             std::regex::icase | std::regex::optimize);
  std::string head(html.substr(0, 4096));
  std::smatch m;
  if (!std::regex_search(head, m, re)) return {};
  std::string cs = m[1].str();
  for (auto& c : cs) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return cs;
}

bool is_block(const char* name) {
  static constexpr std::string_view kBlocks[] = {
      "p",       "div",        "br",      "li",      "tr",    "h1",         "h2",
      "h3",      "h4",         "h5",      "h6",      "ul",    "ol",         "table",
      "section", "article",    "header",  "footer",  "pre",   "blockquote", "title",
      "dt",      "dd",         "hr",      "nav",     "aside", "main",       "form",
      "figure",  "figcaption", "address", "caption", "td",    "th"};
  std::string_view n(name);
  return std::find(std::begin(kBlocks), std::end(kBlocks), n) != std::end(kBlocks);
}

bool is_hidden(const char* name) {
  std::string_view n(name);
  return n == "script" || n == "style" || n == "noscript" || n == "template";
}

// Appends text, collapsing runs of white space into one space.
class TextBuilder {
 public:
  explicit TextBuilder(std::size_t cap) : cap_(cap) {}
  void text(std::string_view s) {
    for (char c : s) {
      if (full()) return;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        pending_space_ = !out_.empty() && out_.back() != '\n';
      } else {
        if (pending_space_) out_ += ' ';
        pending_space_ = false;
        out_ += c;
      }
    }
  }
  void line_break() {
    pending_space_ = false;
    if (!out_.empty() && out_.back() != '\n') out_ += '\n';
  }
  bool full() const { return out_.size() >= cap_ + 4; }
  std::string take() {
    while (!out_.empty() && (out_.back() == '\n' || out_.back() == ' ')) out_.pop_back();
    return truncate_utf8(std::move(out_), cap_);
  }

 private:
  std::size_t cap_;
  std::string out_;
  bool pending_space_ = false;
};

void poppler_quiet(const std::string& msg, void*) {
  spdlog::debug("event=poppler_message message=\"{}\"", msg);
}

ExtractedText pdf_text(std::string_view content, std::chrono::milliseconds budget) {
  ExtractedText out;
  if (content.size() > static_cast<std::size_t>(INT_MAX)) {
    out.status = ExtractedText::Status::failed;
    out.note = "too large for the PDF reader";
    return out;
  }
  // poppler's global state is not safe for concurrent documents: one PDF at a time.
  static std::mutex mu;
  static std::once_flag quiet;
  std::lock_guard lock(mu);
  std::call_once(quiet, [] { poppler::set_debug_error_function(poppler_quiet, nullptr); });
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(content.data(), static_cast<int>(content.size())));
  if (!doc) {
    out.status = ExtractedText::Status::failed;
    out.note = "not a readable PDF";
    return out;
  }
  if (doc->is_locked()) {
    out.status = ExtractedText::Status::failed;
    out.note = "the PDF is password protected";
    return out;
  }
  TextBuilder b(kMaxText);
  int pages = doc->pages();
  for (int i = 0; i < pages && !b.full(); ++i) {
    if (std::chrono::steady_clock::now() - start > budget) {
      out.note = "text of pages " + std::to_string(i + 1) + "–" + std::to_string(pages) +
                 " not extracted (time budget)";
      break;
    }
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) continue;
    std::vector<char> utf8 = page->text().to_utf8();
    b.text(std::string_view(utf8.data(), utf8.size()));
    b.line_break();
  }
  out.text = b.take();
  if (b.full() && out.note.empty()) out.note = "text cut at " + std::to_string(kMaxText) + " bytes";
  out.status = ExtractedText::Status::extracted;
  return out;
}

}  // namespace

std::string truncate_utf8(std::string s, std::size_t cap) {
  if (s.size() <= cap) return s;
  std::size_t n = cap;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

bool decode_text(std::string_view bytes, std::string& utf8, std::string* charset) {
  auto set = [&](const char* name) {
    if (charset) *charset = name;
    return true;
  };
  if (starts_with(bytes, "\xEF\xBB\xBF")) bytes.remove_prefix(3);
  if (text::valid_utf8(bytes)) {
    utf8.assign(bytes);
    return set(is_ascii(bytes) ? "ASCII" : "UTF-8");
  }
  if (starts_with(bytes, "\xFF\xFE") || starts_with(bytes, "\xFE\xFF")) {
    bool le = bytes[0] == '\xFF';
    if (convert_strict(bytes.substr(2), le ? "UTF-16LE" : "UTF-16BE", utf8)) return set("UTF-16");
    return false;
  }
  if (convert_strict(bytes, "GB18030", utf8) && looks_like_text(utf8)) return set("GB18030");
  utf8.clear();
  return false;
}

std::string html_to_text(std::string_view html, std::size_t cap) {
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  if (html.size() > static_cast<std::size_t>(INT_MAX)) html = html.substr(0, INT_MAX);
  // libxml2 assumes ISO-8859-1 when a document declares nothing; judge the bytes instead.
  std::string encoding = declared_html_charset(html);
  if (encoding.empty()) {
    std::string ignored, cs;
    encoding = decode_text(html.substr(0, 1 << 20), ignored, &cs) ? cs : "windows-1252";
    if (encoding == "ASCII" || encoding == "UTF-16") encoding = "UTF-8";
  }
  int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                HTML_PARSE_NOIMPLIED;
  htmlDocPtr doc = htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr,
                                  encoding.c_str(), options | HTML_PARSE_IGNORE_ENC);
  if (!doc)  // an encoding libxml2 does not know: let it use its own judgement
    doc = htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, nullptr, options);
  if (!doc) return {};
  TextBuilder b(cap);
  // Depth-first without recursion: hostile nesting cannot exhaust the stack.
  std::vector<std::pair<xmlNodePtr, bool>> stack;  // node, children already pushed
  for (xmlNodePtr n = xmlDocGetRootElement(doc) ? doc->children : nullptr; n; n = n->next)
    stack.emplace_back(n, false);
  std::reverse(stack.begin(), stack.end());
  while (!stack.empty() && !b.full()) {
    auto [node, done] = stack.back();
    stack.pop_back();
    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
      if (node->content) b.text(reinterpret_cast<const char*>(node->content));
      continue;
    }
    if (node->type != XML_ELEMENT_NODE) continue;
    const char* name = reinterpret_cast<const char*>(node->name);
    if (is_hidden(name)) continue;
    if (done) {
      if (is_block(name)) b.line_break();
      continue;
    }
    if (is_block(name)) b.line_break();
    stack.emplace_back(node, true);
    std::vector<xmlNodePtr> kids;
    for (xmlNodePtr c = node->children; c; c = c->next) kids.push_back(c);
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.emplace_back(*it, false);
  }
  xmlFreeDoc(doc);
  return b.take();
}

Identification identify(std::string_view content) {
  Identification id;
  Magic& m = Magic::instance();
  id.mime = m.run(MAGIC_MIME_TYPE, content);
  if (id.mime.empty()) id.mime = "application/octet-stream";
  id.description = truncate_utf8(m.run(MAGIC_NONE, content), 500);
  if (!text::valid_utf8(id.description)) id.description.clear();

  if (id.mime == "application/pdf") {
    static const std::regex version(R"(version (\d+\.\d+))");
    std::smatch v;
    id.format = std::regex_search(id.description, v, version) ? "PDF " + v[1].str() : "PDF";
    return id;
  }
  bool textual = starts_with(id.mime, "text/") || id.mime == "application/json" ||
                 id.mime == "application/csv" || id.mime == "application/xhtml+xml";
  if (textual) {
    // The first megabyte, cut after a line feed: 0x0A is never inside a UTF-8 or
    // GB18030 character, so the sample does not end in half of one.
    std::string_view sample = content;
    if (sample.size() > (1 << 20)) {
      auto nl = sample.substr(0, 1 << 20).rfind('\n');
      if (nl != std::string_view::npos && !starts_with(sample, "\xFF\xFE") &&
          !starts_with(sample, "\xFE\xFF"))
        sample = sample.substr(0, nl + 1);
    }
    std::string utf8;
    if (!decode_text(sample, utf8, &id.charset)) id.charset.clear();
    if (is_html_mime(id.mime)) {
      id.format = id.charset.empty() ? "HTML document" : "HTML document (" + id.charset + ")";
    } else if (!id.charset.empty()) {
      id.format = id.charset + " text";
    } else {
      id.format = first_clause(id.description);
    }
    return id;
  }
  id.format = first_clause(id.description);
  if (id.format.empty()) id.format = id.mime;
  return id;
}

std::string_view to_string(ExtractedText::Status s) {
  switch (s) {
    case ExtractedText::Status::none:
      return "none";
    case ExtractedText::Status::extracted:
      return "extracted";
    case ExtractedText::Status::failed:
      return "failed";
  }
  return "none";
}

ExtractedText extract_text(std::string_view content, const Identification& id,
                           std::chrono::milliseconds budget) {
  ExtractedText out;
  if (id.mime == "application/pdf") return pdf_text(content, budget);
  if (is_html_mime(id.mime)) {
    out.text = html_to_text(content);
    out.status = ExtractedText::Status::extracted;
    return out;
  }
  if (is_plain_text_mime(id.mime)) {
    std::string utf8;
    if (!decode_text(content, utf8)) {
      out.status = ExtractedText::Status::failed;
      out.note = "text in an unknown character set (not UTF-8, UTF-16 or GB18030)";
      return out;
    }
    if (utf8.size() > kMaxText) out.note = "text cut at " + std::to_string(kMaxText) + " bytes";
    out.text = truncate_utf8(std::move(utf8), kMaxText);
    out.status = ExtractedText::Status::extracted;
  }
  return out;
}

}  // namespace dangan::catalogue
