// attachments_signatures.h — electronic-signature metadata of attachments (D41).
//
// Two kinds, one table (attachment_signatures):
//  - embedded: read from a signed PDF when it is uploaded. Every AcroForm field of type
//    /Sig is inspected: the signature dictionary's /Filter, /SubFilter, /Name, /M,
//    /Reason, /Location, /ContactInfo and /ByteRange, and the CMS SignedData in
//    /Contents (OpenSSL): the digest of the signed byte ranges against the messageDigest
//    attribute, the signature over the signed attributes with the signer's certificate,
//    and that certificate's subject, issuer, serial and validity.
//  - recorded: what staff enter for a signature that is not embedded in the file (a
//    detached .p7s kept elsewhere, a paper sign-off that was scanned, a seal): signer,
//    time, method, a certificate reference and a note.
//
// What "intact" means, and what it does not:
//  - intact: the byte ranges start at 0 and end at the end of the file, the only gap is
//    the /Contents hex string, the digest of the ranges equals the signed messageDigest,
//    and the signature over the signed attributes verifies with the certificate embedded
//    in the signature. So the file is byte for byte what was signed with the key of that
//    certificate;
//  - not verified: whether that certificate is trustworthy (no chain to a trust anchor
//    is built, no revocation is checked, no timestamp token is validated). Every result
//    says so in "trust": "not_verified". A self-signed certificate is reported as such.
//  - a signature whose ranges do not reach the end of the file is "incomplete coverage":
//    bytes were added after signing (often a later incremental update, e.g. another
//    signature; then the earlier one is reported as not intact for the whole file, with
//    how many bytes it leaves out).
#pragma once
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

namespace dangan::catalogue::attachments {

// One JSON object per signature field of a PDF (none for other files, an unsigned PDF or
// a PDF qpdf cannot read). Members: field, filter, sub_filter, name, signing_time (ISO
// 8601 when /M parses, else as written), reason, location, contact_info, byte_range
// [a,b,c,d], file_size, covered_bytes, coverage ("complete" | "incomplete" |
// "invalid"), digest_algorithm, byte_range_digest (hex), message_digest (hex),
// digest ("match" | "mismatch" | "not_checked"), signature ("valid" | "invalid" |
// "not_checked"), certificate {subject, issuer, serial, not_before, not_after,
// self_signed} or null, integrity ("intact" | "not_intact" | "unknown"), trust
// ("not_verified"), problems [text].
std::vector<nlohmann::json> inspect_pdf_signatures(std::string_view content);

// "D:20261126103000+08'00'" → "2026-11-26T10:30:00+08:00"; "" when it does not parse.
std::string pdf_date_to_iso(std::string_view pdf_date);

}  // namespace dangan::catalogue::attachments
