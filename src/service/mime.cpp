#include "service/mime.h"

#include <gmime/gmime.h>
#include <sodium.h>

#include <memory>
#include <mutex>

#include "catalogue/content.h"
#include "core/clock.h"

namespace dangan::service::mime {

namespace {

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

struct Unref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
template <class T>
using Ref = std::unique_ptr<T, Unref>;

std::string str(const char* s) { return s ? std::string(s) : std::string(); }

// Bytes of a part's content with its transfer encoding (base64, quoted-printable) undone.
std::string decoded_content(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) return {};
  Ref<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, mem.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  return bytes ? std::string(reinterpret_cast<const char*>(bytes->data), bytes->len)
               : std::string();
}

// The part's text in UTF-8 (GMime converts from the declared charset).
std::string text_of(GMimePart* part) {
  if (!GMIME_IS_TEXT_PART(part)) return decoded_content(part);
  char* t = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
  std::string out = str(t);
  g_free(t);
  return out;
}

struct Walk {
  std::string plain, html;
  std::vector<Attachment>* attachments;
};

void visit(GMimeObject* /*parent*/, GMimeObject* object, gpointer data) {
  auto* w = static_cast<Walk*>(data);
  if (!GMIME_IS_PART(object)) return;  // multiparts are walked into; message/rfc822 skipped
  GMimePart* part = GMIME_PART(object);
  GMimeContentType* ct = g_mime_object_get_content_type(object);
  bool attachment = g_mime_part_is_attachment(part) || g_mime_part_get_filename(part) != nullptr;
  if (!attachment && ct && g_mime_content_type_is_type(ct, "text", "plain") && w->plain.empty()) {
    w->plain = text_of(part);
    return;
  }
  if (!attachment && ct && g_mime_content_type_is_type(ct, "text", "html") && w->html.empty()) {
    w->html = text_of(part);
    return;
  }
  if (!attachment && ct && g_mime_content_type_is_type(ct, "text", "*")) return;
  Attachment a;
  a.filename = str(g_mime_part_get_filename(part));
  if (ct) {
    char* mime = g_mime_content_type_get_mime_type(ct);
    a.content_type = str(mime);
    g_free(mime);
  }
  a.content = decoded_content(part);
  w->attachments->push_back(std::move(a));
}

std::vector<std::string> ids_in(const char* header) {
  std::vector<std::string> out;
  if (!header) return out;
  GMimeReferences* refs = g_mime_references_parse(nullptr, header);
  if (!refs) return out;
  for (int i = 0; i < g_mime_references_length(refs); ++i)
    out.push_back(str(g_mime_references_get_message_id(refs, i)));
  g_mime_references_free(refs);
  return out;
}

}  // namespace

Result<Parsed> parse(std::string_view raw) {
  init_once();
  if (raw.empty()) return invalid("message", "empty file");
  Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  Ref<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  Ref<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!msg) return invalid("message", "not a MIME message");
  Parsed p;
  InternetAddressList* from = g_mime_message_get_from(msg.get());
  for (int i = 0; from && i < internet_address_list_length(from); ++i) {
    InternetAddress* ia = internet_address_list_get_address(from, i);
    if (!INTERNET_ADDRESS_IS_MAILBOX(ia)) continue;
    p.from_address = str(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
    p.from_name = str(internet_address_get_name(ia));
    break;
  }
  if (p.from_address.find('@') == std::string::npos) return invalid("message", "no From address");
  p.subject = str(g_mime_message_get_subject(msg.get()));
  p.message_id = str(g_mime_message_get_message_id(msg.get()));
  auto irt = ids_in(g_mime_object_get_header(GMIME_OBJECT(msg.get()), "In-Reply-To"));
  if (!irt.empty()) p.in_reply_to = irt.front();
  p.references = ids_in(g_mime_object_get_header(GMIME_OBJECT(msg.get()), "References"));
  if (GDateTime* d = g_mime_message_get_date(msg.get()))
    p.date = format_time(TimePoint(std::chrono::seconds(g_date_time_to_unix(d))));
  Walk w{{}, {}, &p.attachments};
  g_mime_message_foreach(msg.get(), visit, &w);
  if (!w.plain.empty())
    p.body = w.plain;
  else if (!w.html.empty())
    p.body = catalogue::html_to_text(w.html, 1 << 20);
  // Mail clients end lines with CRLF; the thread keeps LF.
  std::string body;
  body.reserve(p.body.size());
  for (char c : p.body)
    if (c != '\r') body += c;
  // Without the blank lines around it.
  auto first = body.find_first_not_of(" \t\n");
  auto last = body.find_last_not_of(" \t\n");
  p.body = first == std::string::npos ? std::string() : body.substr(first, last - first + 1);
  return p;
}

std::string compose(const Outgoing& m) {
  init_once();
  Ref<GMimeMessage> msg(g_mime_message_new(TRUE));
  g_mime_message_add_mailbox(msg.get(), GMIME_ADDRESS_TYPE_FROM, m.from_name.c_str(),
                             m.from_address.c_str());
  g_mime_message_add_mailbox(msg.get(), GMIME_ADDRESS_TYPE_TO, m.to_name.c_str(),
                             m.to_address.c_str());
  g_mime_message_set_subject(msg.get(), m.subject.c_str(), "utf-8");
  g_mime_message_set_message_id(msg.get(), m.message_id.c_str());
  auto when = m.date.empty() ? std::nullopt : parse_time(m.date);
  auto since_epoch = when ? when->time_since_epoch()
                          : std::chrono::duration_cast<TimePoint::duration>(
                                std::chrono::system_clock::now().time_since_epoch());
  GDateTime* date = g_date_time_new_from_unix_utc(
      std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count());
  g_mime_message_set_date(msg.get(), date);
  g_date_time_unref(date);
  if (!m.in_reply_to.empty())
    g_mime_object_set_header(GMIME_OBJECT(msg.get()), "In-Reply-To",
                             ("<" + m.in_reply_to + ">").c_str(), nullptr);
  if (!m.references.empty()) {
    std::string refs;
    for (auto& r : m.references) refs += (refs.empty() ? "<" : " <") + r + ">";
    g_mime_object_set_header(GMIME_OBJECT(msg.get()), "References", refs.c_str(), nullptr);
  }
  Ref<GMimeTextPart> text(g_mime_text_part_new_with_subtype("plain"));
  g_mime_text_part_set_text(text.get(), m.body.c_str());  // sets charset utf-8 when needed
  g_mime_text_part_set_charset(text.get(), "utf-8");
  g_mime_part_set_content_encoding(GMIME_PART(text.get()),
                                   g_mime_part_get_best_content_encoding(
                                       GMIME_PART(text.get()), GMIME_ENCODING_CONSTRAINT_7BIT));
  g_mime_message_set_mime_part(msg.get(), GMIME_OBJECT(text.get()));
  GMimeFormatOptions* opts = g_mime_format_options_clone(g_mime_format_options_get_default());
  g_mime_format_options_set_newline_format(opts, GMIME_NEWLINE_FORMAT_DOS);
  char* s = g_mime_object_to_string(GMIME_OBJECT(msg.get()), opts);
  std::string out = str(s);
  g_free(s);
  g_mime_format_options_free(opts);
  return out;
}

std::string new_message_id(std::string_view from_address) {
  auto at = from_address.rfind('@');
  std::string domain =
      at == std::string_view::npos ? "dangan.invalid" : std::string(from_address.substr(at + 1));
  unsigned char rnd[16];
  randombytes_buf(rnd, sizeof rnd);
  static const char* hex = "0123456789abcdef";
  std::string id = "dangan.";
  for (unsigned char c : rnd) {
    id += hex[c >> 4];
    id += hex[c & 15];
  }
  return id + "@" + domain;
}

}  // namespace dangan::service::mime
