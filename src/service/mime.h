// mime.h — e-mail messages in and out of the service desk, through GMime 3: parsing a
// received message (From, Subject decoded from RFC 2047, Message-ID, In-Reply-To,
// References, the text body — text/plain, else text/html reduced to its text — and the
// attachments), and composing a reply (UTF-8, encoded for 7-bit transport, CRLF lines).
//
// Nothing here touches the database, the disk or the network. Message-IDs are handled
// without their angle brackets everywhere.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace dangan::service::mime {

struct Attachment {
  std::string filename;      // decoded; "" when the part has none
  std::string content_type;  // as declared, e.g. "application/pdf"
  std::string content;       // decoded bytes
};

struct Parsed {
  std::string from_address;             // the first From mailbox, as written
  std::string from_name;                // its display name (decoded), may be ""
  std::string subject;                  // decoded
  std::string message_id;               // "" when the message has none
  std::string in_reply_to;              // the first id in In-Reply-To, or ""
  std::vector<std::string> references;  // References, oldest first
  std::string date;                     // ISO 8601 UTC, "" when absent or unreadable
  std::string body;                     // UTF-8 text
  std::vector<Attachment> attachments;
};

// `invalid` (field "message") when the bytes are not a message with a From mailbox.
Result<Parsed> parse(std::string_view raw);

struct Outgoing {
  std::string from_address, from_name;
  std::string to_address, to_name;
  std::string subject, body;
  std::string message_id;               // ours, without <>
  std::string in_reply_to;              // "" for none
  std::vector<std::string> references;  // oldest first
  std::string date;                     // ISO 8601; "" = now
};
// The message as sent over SMTP (CRLF line ends, headers encoded per RFC 2047).
std::string compose(const Outgoing& m);

// "<random>@<domain>" for a new message; the domain is the from address's.
std::string new_message_id(std::string_view from_address);

}  // namespace dangan::service::mime
