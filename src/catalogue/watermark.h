// watermark.h — a visible mark of who downloaded an attachment and when (D42).
//
// How each format is marked:
//   plain text (ASCII-compatible charsets) ... a first line, in the file's own charset
//   HTML ..................................... a banner right after <body> (or first)
//   PDF ...................................... a line of text at the foot of every page,
//                                              drawn by a content stream qpdf appends
//                                              (the original content is left intact,
//                                              wrapped in q/Q so it cannot disturb it)
//   JPEG, PNG, TIFF (one page), WebP ........ a light band with the line at the foot of
//                                              the picture (libvips; EXIF orientation
//                                              applied first), saved in the same format
//   everything else (multi-page TIFF, GIF,
//   office files, archives, UTF-16 text,
//   unreadable PDF or image) ................ not marked: the response carries the mark
//                                              in the X-Dangan-Watermark header only, and
//                                              `method` says "header"
// The line is ASCII (user name, user id, UTC time, attachment id), so it can be put
// into any ASCII-compatible file and drawn with a standard PDF font.
#pragma once
#include <string>
#include <string_view>

namespace dangan::catalogue {

struct Watermarked {
  std::string body;
  std::string content_type;
  std::string method;  // "text", "html", "pdf", "image" or "header"
};

// `charset` is the blob's ("UTF-8", "GB18030", "ASCII", "UTF-16" or "").
Watermarked watermark(std::string content, const std::string& mime, const std::string& charset,
                      const std::string& line);

// Non-ASCII and control characters become '?', so a mark can never break its carrier.
std::string ascii_line(std::string_view s);

}  // namespace dangan::catalogue
