// attachments_signatures_testing.h — signed PDFs for the tests (test code only): a key and
// a self-signed certificate made with OpenSSL at test time, a one-page PDF with an
// AcroForm signature field whose /Contents is a real detached CMS SignedData (OpenSSL's
// CMS_sign, with signed attributes: content type, signing time, messageDigest) over the
// /ByteRange, the way PDF signers write adbe.pkcs7.detached. poppler's pdfsig reports
// such a file as "Signature is Valid" (checked by hand; the API test checks it too when
// pdfsig is installed).
#pragma once
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dangan::catalogue::testing {

struct TestSigner {
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;
};

// An EC P-256 key and a self-signed certificate (UTF-8 names), valid for a year.
inline TestSigner make_test_signer(const std::string& common_name,
                                   const std::string& organisation) {
  TestSigner s;
  s.key.reset(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!s.key) throw std::runtime_error("EVP_EC_gen failed");
  s.cert.reset(X509_new(), X509_free);
  X509* c = s.cert.get();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), 0x2026);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 365L * 24 * 3600);
  X509_set_pubkey(c, s.key.get());
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(organisation.c_str()), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(c, name);
  if (X509_sign(c, s.key.get(), EVP_sha256()) <= 0) throw std::runtime_error("X509_sign failed");
  return s;
}

// A PDF text string: UTF-16BE with a BOM, as hex (works for any UTF-8 input).
inline std::string pdf_text_string(const std::string& utf8) {
  std::u16string u;
  for (std::size_t i = 0; i < utf8.size();) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    char32_t cp;
    int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    i += static_cast<std::size_t>(n);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      u += static_cast<char16_t>(0xD800 + (cp >> 10));
      u += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      u += static_cast<char16_t>(cp);
    }
  }
  std::string out = "<FEFF";
  char buf[8];
  for (char16_t ch : u) {
    std::snprintf(buf, sizeof buf, "%04X", static_cast<unsigned>(ch));
    out += buf;
  }
  return out + ">";
}

struct SignedPdfOptions {
  std::string name = "张三";
  std::string reason = "归档确认 Approved for archiving";
  std::string location = "上海";
  std::string contact = "zhang@example.org";
  std::string signing_time = "D:20261126103000+08'00'";
  std::string page_text = "Signed archival record";
};

// Content of the page stream; tampering tests change one of its bytes.
inline std::string signed_pdf_page(const SignedPdfOptions& o) {
  return "BT /F1 14 Tf 72 720 Td (" + o.page_text + ") Tj ET\n";
}

inline std::string make_signed_pdf(const TestSigner& signer, const SignedPdfOptions& o = {}) {
  constexpr std::size_t kHole = 8192;  // bytes of DER the /Contents string can hold
  std::string page = signed_pdf_page(o);
  std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R /Annots [4 0 R] "
      "/Resources << /Font << /F1 7 0 R >> >> >>",
      "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /Rect [0 0 0 0] /F 132 "
      "/P 3 0 R /V 5 0 R >>",
      "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Name " +
          pdf_text_string(o.name) + " /M (" + o.signing_time + ") /Reason " +
          pdf_text_string(o.reason) + " /Location " + pdf_text_string(o.location) +
          " /ContactInfo (" + o.contact +
          ") /ByteRange [0 0000000000 0000000000 0000000000] /Contents <" +
          std::string(kHole * 2, '0') + "> >>",
      "<< /Length " + std::to_string(page.size()) + " >>\nstream\n" + page + "endstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  std::string pdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (auto off : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
    pdf += line;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";

  // The hole: the /Contents hex string with its angle brackets.
  std::size_t b = pdf.find("/Contents <" + std::string(16, '0')) + 10;
  std::size_t c = b + kHole * 2 + 2;
  std::size_t d = pdf.size() - c;
  char range[64];
  std::snprintf(range, sizeof range, "[0 %010zu %010zu %010zu]", b, c, d);
  std::string placeholder = "[0 0000000000 0000000000 0000000000]";
  pdf.replace(pdf.find(placeholder), placeholder.size(), range);

  std::string signed_bytes = pdf.substr(0, b) + pdf.substr(c);
  BIO* in = BIO_new_mem_buf(signed_bytes.data(), static_cast<int>(signed_bytes.size()));
  CMS_ContentInfo* cms = CMS_sign(signer.cert.get(), signer.key.get(), nullptr, in,
                                  CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP);
  BIO_free(in);
  if (!cms) throw std::runtime_error("CMS_sign failed");
  unsigned char* der = nullptr;
  int n = i2d_CMS_ContentInfo(cms, &der);
  CMS_ContentInfo_free(cms);
  if (n <= 0 || static_cast<std::size_t>(n) > kHole) throw std::runtime_error("CMS too big");
  static const char* digits = "0123456789abcdef";
  for (int i = 0; i < n; ++i) {
    pdf[b + 1 + 2 * static_cast<std::size_t>(i)] = digits[der[i] >> 4];
    pdf[b + 2 + 2 * static_cast<std::size_t>(i)] = digits[der[i] & 15];
  }
  OPENSSL_free(der);
  return pdf;
}

// The same file with one letter of the page's text changed, inside the signed bytes.
inline std::string tamper_signed_pdf(std::string pdf, const SignedPdfOptions& o = {}) {
  auto at = pdf.find(o.page_text);
  pdf[at] = pdf[at] == 'S' ? 'Z' : 'S';
  return pdf;
}

// The file with an incremental update appended after signing: a new page content.
inline std::string append_update(std::string pdf) {
  std::size_t prev = std::stoul(pdf.substr(pdf.rfind("startxref\n") + 10));
  std::string page = "BT /F1 14 Tf 72 700 Td (Changed after signing) Tj ET\n";
  std::size_t off = pdf.size();
  pdf += "6 0 obj\n<< /Length " + std::to_string(page.size()) + " >>\nstream\n" + page +
         "endstream\nendobj\n";
  std::size_t xref = pdf.size();
  char line[32];
  std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
  pdf += "xref\n6 1\n" + std::string(line) + "trailer\n<< /Size 8 /Root 1 0 R /Prev " +
         std::to_string(prev) + " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

}  // namespace dangan::catalogue::testing
