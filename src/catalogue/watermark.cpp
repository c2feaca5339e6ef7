#include "catalogue/watermark.h"

// qpdf 11: std::shared_ptr everywhere, no PointerHolder.
#define POINTERHOLDER_TRANSITION 4
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>
#include <qpdf/QUtil.hh>
#include <sstream>
#include <vips/vips8>

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

void vips_log(const gchar*, GLogLevelFlags, const gchar* message, gpointer) {
  spdlog::debug("event=vips_message message=\"{}\"", message ? message : "");
}

bool init_vips() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    ok = VIPS_INIT("dangan") == 0;
    if (!ok) return;
    // Only the loaders for formats we mark (and none of the "untrusted" ones, such as
    // ImageMagick's), and no operation cache: decrypted content must not linger.
    vips_block_untrusted_set(TRUE);
    vips_cache_set_max(0);
    g_log_set_handler("VIPS",
                      static_cast<GLogLevelFlags>(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE),
                      vips_log, nullptr);
  });
  return ok;
}

// The line drawn at the foot of the image, dark on a light band, scaled to the image.
bool mark_image(std::string& content, const std::string& mime, const std::string& line) {
  struct Format {
    const char *mime, *loader, *suffix;
  };
  static constexpr Format kFormats[] = {
      {"image/jpeg", "VipsForeignLoadJpegBuffer", ".jpg[Q=92]"},
      {"image/png", "VipsForeignLoadPngBuffer", ".png"},
      {"image/tiff", "VipsForeignLoadTiffBuffer", ".tif[compression=deflate]"},
      {"image/webp", "VipsForeignLoadWebpBuffer", ".webp[Q=92]"}};
  const Format* f = nullptr;
  for (auto& k : kFormats)
    if (mime == k.mime) f = &k;
  if (!f || !init_vips()) return false;
  const char* loader = vips_foreign_find_load_buffer(content.data(), content.size());
  if (!loader || std::string_view(loader).find(std::string_view(f->loader).substr(15)) ==
                     std::string_view::npos) {
    vips_error_clear();
    return false;  // the bytes are not what the MIME type said
  }
  try {
    vips::VImage img = vips::VImage::new_from_buffer(content.data(), content.size(), "");
    // A multi-page TIFF would come back as its first page only: leave it unmarked.
    if (img.get_typeof("n-pages") != 0 && img.get_int("n-pages") > 1) return false;
    if (img.format() != VIPS_FORMAT_UCHAR && img.format() != VIPS_FORMAT_USHORT) return false;
    img = img.autorot();  // marks land at the foot of the picture as it is shown
    double white = img.format() == VIPS_FORMAT_USHORT ? 65535 : 255;
    int colour_bands = img.has_alpha() ? img.bands() - 1 : img.bands();
    if (colour_bands != 1 && colour_bands != 3) return false;  // CMYK and the like
    std::vector<double> light(static_cast<std::size_t>(img.bands()), white);
    std::vector<double> dark(static_cast<std::size_t>(colour_bands), white * 0.12);
    if (img.has_alpha()) dark.push_back(white);

    int W = img.width(), H = img.height();
    int target = std::max(10, std::min(H / 40, W / 60));  // text height in pixels
    int dpi = std::max(20, target * 72 / 12);
    vips::VImage text = vips::VImage::text(
        line.c_str(), vips::VImage::option()->set("dpi", dpi)->set("font", "sans"));
    if (text.width() > W - 8) {  // too long for the width: smaller
      dpi = std::max(10, dpi * (W - 8) / std::max(1, text.width()));
      text = vips::VImage::text(line.c_str(),
                                vips::VImage::option()->set("dpi", dpi)->set("font", "sans"));
    }
    int pad = std::max(2, text.height() / 4);
    int bw = std::min(W, text.width() + 2 * pad), bh = std::min(H, text.height() + 2 * pad);
    int x = 0, y = H - bh;
    vips::VImage band = (vips::VImage::black(bw, bh) + 190).cast(VIPS_FORMAT_UCHAR);
    img = band.embed(x, y, W, H).ifthenelse(light, img, vips::VImage::option()->set("blend", true));
    vips::VImage mask = text.embed(x + pad, y + pad, W, H);
    img = mask.ifthenelse(dark, img, vips::VImage::option()->set("blend", true));
    void* buf = nullptr;
    std::size_t size = 0;
    img.write_to_buffer(f->suffix, &buf, &size);
    content.assign(static_cast<const char*>(buf), size);
    g_free(buf);
    return true;
  } catch (const vips::VError& e) {
    spdlog::info("event=image_watermark_failed error=\"{}\"", ascii_line(e.what()).substr(0, 200));
    vips_error_clear();
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
  } else if (mime.rfind("image/", 0) == 0 && mark_image(content, mime, line)) {
    out.method = "image";
  } else {
    out.method = "header";
  }
  out.body = std::move(content);
  return out;
}

}  // namespace dangan::catalogue
