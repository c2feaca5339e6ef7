#include "catalogue/watermark.h"

// qpdf 11: std::shared_ptr everywhere, no PointerHolder.
#define POINTERHOLDER_TRANSITION 4
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>
#include <qpdf/QUtil.hh>
#include <sstream>

namespace dangan::catalogue {

namespace {

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string pdf_string(std::string_view s) {
  std::string out = "(";
  for (char c : s) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += c;
  }
  return out + ")";
}

// Case-insensitive search for an ASCII tag opening such as "<body".
std::size_t find_tag(std::string_view html, std::string_view tag) {
  auto it = std::search(html.begin(), html.end(), tag.begin(), tag.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
  while (it != html.end()) {
    std::size_t pos = static_cast<std::size_t>(it - html.begin());
    char next = pos + tag.size() < html.size() ? html[pos + tag.size()] : '>';
    if (next == '>' || std::isspace(static_cast<unsigned char>(next)) || next == '/') return pos;
    it = std::search(it + 1, html.end(), tag.begin(), tag.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) ==
             std::tolower(static_cast<unsigned char>(b));
    });
  }
  return std::string_view::npos;
}

bool mark_pdf(std::string& content, const std::string& line) {
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    pdf.processMemoryFile("attachment.pdf", content.data(), content.size());
    QPDFObjectHandle font = pdf.makeIndirectObject(QPDFObjectHandle::parse(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"));
    for (QPDFPageObjectHelper& page : QPDFPageDocumentHelper(pdf).getAllPages()) {
      QPDFObjectHandle resources = page.getAttribute("/Resources", true);
      if (!resources.isDictionary()) {
        resources = QPDFObjectHandle::newDictionary();
        page.getObjectHandle().replaceKey("/Resources", resources);
      }
      QPDFObjectHandle fonts = resources.getKey("/Font");
      if (!fonts.isDictionary()) {
        fonts = QPDFObjectHandle::newDictionary();
        resources.replaceKey("/Font", fonts);
      } else if (fonts.isIndirect()) {  // shared with other pages or objects: copy
        fonts = fonts.shallowCopy();
        resources.replaceKey("/Font", fonts);
      }
      int suffix = 1;
      std::string name = resources.getUniqueResourceName("/DanganWM", suffix);
      fonts.replaceKey(name, font);
      QPDFObjectHandle::Rectangle box = page.getCropBox().getArrayAsRectangle();
      double x = box.llx + 18, y = box.lly + 10;
      std::ostringstream ops;
      ops << "Q q BT " << name << " 7 Tf 0.35 g 1 0 0 1 " << x << " " << y << " Tm "
          << pdf_string(line) << " Tj ET Q\n";
      page.addPageContents(QPDFObjectHandle::newStream(&pdf, "q\n"), true);
      page.addPageContents(QPDFObjectHandle::newStream(&pdf, ops.str()), false);
    }
    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    writer.write();
    auto buffer = writer.getBufferSharedPointer();
    content.assign(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
    return true;
  } catch (const std::exception& e) {
    spdlog::info("event=pdf_watermark_failed error=\"{}\"", ascii_line(e.what()).substr(0, 200));
    return false;
  }
}

}  // namespace

std::string ascii_line(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
  return out;
}

Watermarked watermark(std::string content, const std::string& mime, const std::string& charset,
                      const std::string& raw_line) {
  std::string line = ascii_line(raw_line);
  Watermarked out;
  out.content_type = mime;
  bool ascii_compatible = charset == "UTF-8" || charset == "ASCII" || charset == "GB18030";
  if (mime == "text/html" && ascii_compatible) {
    std::string banner =
        "<div style=\"border:1px solid #999;background:#ffd;color:#333;padding:4px;"
        "font:12px sans-serif\">" +
        html_escape(line) + "</div>";
    std::size_t at = 0;
    if (std::size_t body = find_tag(content, "<body"); body != std::string::npos) {
      std::size_t close = content.find('>', body);
      at = close == std::string::npos ? content.size() : close + 1;
    } else if (std::size_t html = find_tag(content, "<html"); html != std::string::npos) {
      std::size_t close = content.find('>', html);
      at = close == std::string::npos ? content.size() : close + 1;
    }
    content.insert(at, banner);
    out.method = "html";
    out.content_type = "text/html; charset=" + (charset == "GB18030" ? charset : "utf-8");
  } else if (mime.rfind("text/", 0) == 0 && ascii_compatible) {
    std::size_t at = content.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;  // after a BOM
    bool crlf = content.find("\r\n") != std::string::npos;
    content.insert(at, "[" + line + "]" + (crlf ? "\r\n" : "\n"));
    out.method = "text";
    out.content_type = mime + "; charset=" + (charset == "GB18030" ? charset : "utf-8");
  } else if (mime == "application/pdf" && mark_pdf(content, line)) {
    out.method = "pdf";
  } else {
    out.method = "header";
  }
  out.body = std::move(content);
  return out;
}

}  // namespace dangan::catalogue
