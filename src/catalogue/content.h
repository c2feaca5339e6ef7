// content.h — what an attachment's bytes are, judged from the bytes alone: MIME type and
// format identification (libmagic, D41), and the text search indexes (plain text in
// UTF-8, UTF-16 or GB18030; HTML through libxml2's HTML parser; PDF through poppler).
//
// The client's file name and Content-Type are never consulted: a PDF named photo.png is
// a PDF. Text is capped (kMaxText bytes of UTF-8, cut at a character boundary) so one
// large attachment cannot swell the index; extraction of a PDF also stops after a time
// budget. Nothing here touches the database or the disk.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace dangan::catalogue {

constexpr std::size_t kMaxText = 1 << 20;

struct Identification {
  std::string mime;         // "application/pdf", "text/plain" …
  std::string format;       // "PDF 1.7", "PNG image", "UTF-8 text", "GB18030 text" …
  std::string description;  // libmagic's full description (capped at 500 bytes)
  std::string charset;      // text only: "UTF-8", "UTF-16", "GB18030", "ASCII"; else ""
};
Identification identify(std::string_view content);

struct ExtractedText {
  enum class Status { none, extracted, failed } status = Status::none;
  std::string text;  // UTF-8, at most kMaxText bytes
  std::string note;  // why it failed or was cut short
};
std::string_view to_string(ExtractedText::Status s);

// Text for search from content identified as `id`: none for formats without text
// (images, archives), failed for damaged or encrypted PDFs and undecodable text.
ExtractedText extract_text(std::string_view content, const Identification& id,
                           std::chrono::milliseconds budget = std::chrono::seconds(10));

// The pieces, exposed for tests and the watermark.
// Bytes to UTF-8: UTF-8 (a BOM dropped), UTF-16 with a BOM, or GB18030 (which covers
// GB2312 and GBK); false when none decodes cleanly. `charset` gets the name.
bool decode_text(std::string_view bytes, std::string& utf8, std::string* charset = nullptr);
// Visible text of an HTML document: scripts, styles and comments dropped, entities
// decoded, block elements on lines of their own; the document's declared charset
// (meta) is honoured.
std::string html_to_text(std::string_view html, std::size_t cap = kMaxText);
// Cuts to at most `cap` bytes without splitting a UTF-8 sequence.
std::string truncate_utf8(std::string s, std::size_t cap);

}  // namespace dangan::catalogue
