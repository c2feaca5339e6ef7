// qpdf 11: std::shared_ptr everywhere, no PointerHolder.
#define POINTERHOLDER_TRANSITION 4
#include "catalogue/attachments_signatures.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFAcroFormDocumentHelper.hh>
#include <qpdf/QPDFFormFieldObjectHelper.hh>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

namespace dangan::catalogue::attachments {

using json = nlohmann::json;

namespace {

template <auto fn>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    fn(p);
  }
};
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // RFC 2253 order and escaping, but UTF-8 left as it is (Chinese names stay readable).
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

json time_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return nullptr;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return std::string(buf);
}

json certificate_json(X509* cert) {
  json c = {{"subject", name_text(X509_get_subject_name(cert))},
            {"issuer", name_text(X509_get_issuer_name(cert))},
            {"not_before", time_text(X509_get0_notBefore(cert))},
            {"not_after", time_text(X509_get0_notAfter(cert))},
            {"self_signed", X509_check_issued(cert, cert) == X509_V_OK}};
  BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (bn) {
    char* h = BN_bn2hex(bn.get());
    c["serial"] = h ? std::string(h) : std::string();
    OPENSSL_free(h);
  }
  return c;
}

// A text string of the signature dictionary, or null.
json text_of(QPDFObjectHandle dict, const char* key) {
  if (!dict.hasKey(key)) return nullptr;
  auto v = dict.getKey(key);
  if (!v.isString()) return nullptr;
  return v.getUTF8Value();
}

struct Ranges {
  std::int64_t a = 0, b = 0, c = 0, d = 0;
};

// The CMS part: digest of the ranges against messageDigest, signature over the signed
// attributes, the signer's certificate. Fills `sig`; returns false when the CMS could
// not be read at all.
bool check_cms(std::string_view content, const Ranges& r, const std::string& contents, json& sig,
               json& problems) {
  const auto* p = reinterpret_cast<const unsigned char*>(contents.data());
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(contents.size())));
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    problems.push_back("/Contents is not a CMS SignedData structure this server can read");
    return false;
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (!infos || sk_CMS_SignerInfo_num(infos) < 1) {
    problems.push_back("the CMS structure has no signer");
    return false;
  }
  if (sk_CMS_SignerInfo_num(infos) > 1)
    problems.push_back("the CMS structure has several signers; only the first is checked");
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  // Matches the certificates carried in the CMS to their signer infos.
  CMS_set1_signers_certs(cms.get(), nullptr, 0);
  X509* signer = nullptr;
  X509_ALGOR* digest_alg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, &signer, &digest_alg, nullptr);
  if (signer)
    sig["certificate"] = certificate_json(signer);
  else
    problems.push_back("the signer's certificate is not in the signature");

  const ASN1_OBJECT* alg_obj = nullptr;
  if (digest_alg) X509_ALGOR_get0(&alg_obj, nullptr, nullptr, digest_alg);
  const EVP_MD* md = alg_obj ? EVP_get_digestbyobj(alg_obj) : nullptr;
  if (!md) {
    problems.push_back("unknown digest algorithm");
    return true;
  }
  sig["digest_algorithm"] = OBJ_nid2sn(EVP_MD_get_type(md));

  auto digest_of = [&](const std::vector<std::string_view>& parts) {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestInit_ex(ctx.get(), md, nullptr);
    for (auto part : parts) EVP_DigestUpdate(ctx.get(), part.data(), part.size());
    EVP_DigestFinal_ex(ctx.get(), out, &n);
    return std::string(reinterpret_cast<char*>(out), n);
  };
  std::string_view first = content.substr(static_cast<std::size_t>(r.a), r.b);
  std::string_view second = content.substr(static_cast<std::size_t>(r.c), r.d);
  std::string ranges_digest = digest_of({first, second});
  sig["byte_range_digest"] = hex(reinterpret_cast<const unsigned char*>(ranges_digest.data()),
                                 ranges_digest.size());

  // What the signer's digest was computed over: the ranges (detached, the usual
  // adbe.pkcs7.detached and ETSI.CAdES.detached), or, for adbe.pkcs7.sha1, an
  // encapsulated SHA-1 of the ranges.
  std::string signed_content_digest = ranges_digest;
  ASN1_OCTET_STRING** econtent = CMS_get0_content(cms.get());
  bool encapsulated = econtent && *econtent && ASN1_STRING_length(*econtent) > 0;
  if (encapsulated) {
    std::string inner(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*econtent)),
                      static_cast<std::size_t>(ASN1_STRING_length(*econtent)));
    unsigned char sha1[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    MdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr);
    EVP_DigestUpdate(ctx.get(), first.data(), first.size());
    EVP_DigestUpdate(ctx.get(), second.data(), second.size());
    EVP_DigestFinal_ex(ctx.get(), sha1, &n);
    if (inner == std::string(reinterpret_cast<char*>(sha1), n)) {
      signed_content_digest = digest_of({inner});
    } else {
      signed_content_digest.clear();
      problems.push_back("the encapsulated SHA-1 does not match the signed byte ranges");
    }
  }

  int signed_attrs = CMS_signed_get_attr_count(si);
  if (signed_attrs > 0) {
    auto* md_attr = static_cast<ASN1_OCTET_STRING*>(CMS_signed_get0_data_by_OBJ(
        si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING));
    if (!md_attr) {
      sig["digest"] = "mismatch";
      problems.push_back("the signed attributes have no messageDigest");
    } else {
      std::string signed_digest(reinterpret_cast<const char*>(ASN1_STRING_get0_data(md_attr)),
                                static_cast<std::size_t>(ASN1_STRING_length(md_attr)));
      sig["message_digest"] =
          hex(reinterpret_cast<const unsigned char*>(signed_digest.data()), signed_digest.size());
      bool match = !signed_content_digest.empty() && signed_digest == signed_content_digest;
      sig["digest"] = match ? "match" : "mismatch";
      if (!match)
        problems.push_back(
            "the signed byte ranges do not hash to the signed messageDigest: the file was "
            "changed after signing");
    }
    if (signer) {
      bool ok = CMS_SignerInfo_verify(si) == 1;
      sig["signature"] = ok ? "valid" : "invalid";
      if (!ok)
        problems.push_back(
            "the signature over the signed attributes does not verify with the signer's "
            "certificate");
    }
  } else if (signer) {
    // No signed attributes: the signature is over the content itself.
    BioPtr data(BIO_new(BIO_s_mem()));
    BIO_write(data.get(), first.data(), static_cast<int>(first.size()));
    BIO_write(data.get(), second.data(), static_cast<int>(second.size()));
    bool ok = CMS_verify(cms.get(), nullptr, nullptr, encapsulated ? nullptr : data.get(), nullptr,
                         CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) == 1;
    sig["digest"] = ok ? "match" : "mismatch";
    sig["signature"] = ok ? "valid" : "invalid";
    if (!ok) problems.push_back("the signature does not verify over the signed byte ranges");
  }
  ERR_clear_error();
  return true;
}

json inspect_field(std::string_view content, const std::string& field_name,
                   QPDFObjectHandle v) {
  json problems = json::array();
  json sig = {{"field", field_name},
              {"filter", nullptr},
              {"sub_filter", nullptr},
              {"name", text_of(v, "/Name")},
              {"signing_time", nullptr},
              {"reason", text_of(v, "/Reason")},
              {"location", text_of(v, "/Location")},
              {"contact_info", text_of(v, "/ContactInfo")},
              {"byte_range", nullptr},
              {"file_size", content.size()},
              {"covered_bytes", 0},
              {"coverage", "invalid"},
              {"digest_algorithm", nullptr},
              {"byte_range_digest", nullptr},
              {"message_digest", nullptr},
              {"digest", "not_checked"},
              {"signature", "not_checked"},
              {"certificate", nullptr},
              {"integrity", "unknown"},
              {"trust", "not_verified"}};
  for (auto [key, member] : {std::pair{"/Filter", "filter"}, {"/SubFilter", "sub_filter"}})
    if (v.hasKey(key) && v.getKey(key).isName()) sig[member] = v.getKey(key).getName().substr(1);
  if (auto m = text_of(v, "/M"); m.is_string()) {
    std::string iso = pdf_date_to_iso(m.get<std::string>());
    sig["signing_time"] = iso.empty() ? m : json(iso);
  }

  Ranges r;
  bool ranges_ok = false;
  auto br = v.hasKey("/ByteRange") ? v.getKey("/ByteRange") : QPDFObjectHandle::newNull();
  if (br.isArray() && br.getArrayNItems() == 4) {
    std::int64_t n[4];
    bool ints = true;
    for (int i = 0; i < 4; ++i) {
      auto item = br.getArrayItem(i);
      if (!item.isInteger()) ints = false;
      n[i] = ints ? item.getIntValue() : 0;
    }
    if (ints) {
      r = {n[0], n[1], n[2], n[3]};
      sig["byte_range"] = {r.a, r.b, r.c, r.d};
      auto size = static_cast<std::int64_t>(content.size());
      ranges_ok = r.a >= 0 && r.b >= 0 && r.c >= r.a + r.b && r.d >= 0 && r.c + r.d <= size;
    }
  }
  if (!ranges_ok) {
    problems.push_back("the /ByteRange is missing or outside the file");
  } else {
    auto size = static_cast<std::int64_t>(content.size());
    sig["covered_bytes"] = r.b + r.d;
    // The gap must be exactly the /Contents hex string: "<" hex digits ">".
    bool gap_is_contents = r.c - r.b >= 2 && content[static_cast<std::size_t>(r.b)] == '<' &&
                           content[static_cast<std::size_t>(r.c - 1)] == '>';
    for (std::int64_t i = r.b + 1; gap_is_contents && i < r.c - 1; ++i)
      if (!std::isxdigit(static_cast<unsigned char>(content[static_cast<std::size_t>(i)])))
        gap_is_contents = false;
    if (r.a != 0 || !gap_is_contents) {
      sig["coverage"] = "invalid";
      problems.push_back(r.a != 0 ? "the signed bytes do not start at the beginning of the file"
                                  : "the gap in the signed bytes is not just the signature");
    } else if (r.c + r.d != size) {
      sig["coverage"] = "incomplete";
      problems.push_back("incomplete coverage: the signature leaves out the last " +
                         std::to_string(size - (r.c + r.d)) +
                         " bytes of the file, which were added after signing");
    } else {
      sig["coverage"] = "complete";
    }
  }

  bool cms_read = false;
  if (!v.hasKey("/Contents") || !v.getKey("/Contents").isString()) {
    problems.push_back("the signature has no /Contents");
  } else if (ranges_ok) {
    cms_read = check_cms(content, r, v.getKey("/Contents").getStringValue(), sig, problems);
  }

  if (sig["coverage"] != "complete" || sig["digest"] == "mismatch" || sig["signature"] == "invalid")
    sig["integrity"] = "not_intact";
  else if (cms_read && sig["digest"] == "match" && sig["signature"] == "valid")
    sig["integrity"] = "intact";
  sig["problems"] = problems;
  return sig;
}

}  // namespace

std::string pdf_date_to_iso(std::string_view s) {
  if (s.starts_with("D:")) s.remove_prefix(2);
  auto digits = [&](std::size_t at, std::size_t n) -> int {
    if (s.size() < at + n) return -1;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  int year = digits(0, 4);
  if (year < 0) return "";
  int fields[5] = {1, 1, 0, 0, 0};  // month, day, hour, minute, second
  std::size_t at = 4;
  for (int i = 0; i < 5; ++i) {
    int v = digits(at, 2);
    if (v < 0) break;
    fields[i] = v;
    at += 2;
  }
  if (fields[0] < 1 || fields[0] > 12 || fields[1] < 1 || fields[1] > 31 || fields[2] > 23 ||
      fields[3] > 59 || fields[4] > 60)
    return "";
  std::string zone;
  if (at < s.size()) {
    char sign = s[at];
    if (sign == 'Z') {
      zone = "Z";
    } else if (sign == '+' || sign == '-') {
      int hh = digits(at + 1, 2);
      std::size_t mm_at = at + 3;
      if (mm_at < s.size() && s[mm_at] == '\'') ++mm_at;
      int mm = digits(mm_at, 2);
      if (hh < 0) return "";
      char buf[32];
      std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, hh, mm < 0 ? 0 : mm);
      zone = buf;
    }
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", year, fields[0], fields[1],
                fields[2], fields[3], fields[4]);
  return std::string(buf) + zone;
}

std::vector<json> inspect_pdf_signatures(std::string_view content) {
  std::vector<json> out;
  if (!content.starts_with("%PDF-") && content.substr(0, 1024).find("%PDF-") == std::string::npos)
    return out;
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    pdf.setAttemptRecovery(false);
    pdf.processMemoryFile("attachment", content.data(), content.size());
    QPDFAcroFormDocumentHelper acroform(pdf);
    if (!acroform.hasAcroForm()) return out;
    for (auto& field : acroform.getFormFields()) {
      if (field.getFieldType() != "/Sig") continue;
      auto v = field.getValue();
      if (!v.isDictionary()) continue;  // an empty signature field: not signed
      out.push_back(inspect_field(content, field.getFullyQualifiedName(), v));
    }
  } catch (const std::exception& e) {
    // A PDF qpdf cannot read: no signature can be shown, and the upload goes on (format
    // identification and fixity do not depend on it).
    spdlog::info("event=pdf_signatures_unreadable error=\"{}\"", e.what());
    out.clear();
  }
  return out;
}

}  // namespace dangan::catalogue::attachments
