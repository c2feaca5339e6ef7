// redact.cpp — the scanner of redact.h. It walks code points; a candidate number is a
// run of digit groups joined by single separators (space, hyphen, full-width hyphen),
// tried longest first so that "138 1234 5678" is one phone while "2019 13812345678"
// is a year and a phone.
#include "service/redact.h"

#include <cstdint>
#include <optional>

#include "patrons/validation.h"

namespace dangan::service {

namespace {

struct Cp {
  char32_t c;
  std::size_t at, len;  // byte offset and length in the text
};

std::vector<Cp> decode(std::string_view s) {
  std::vector<Cp> out;
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    if (i + n > s.size()) n = s.size() - i;
    char32_t c = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    for (std::size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back({c, i, n});
    i += n;
  }
  return out;
}

std::optional<char> digit_of(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<char>(c);
  if (c >= 0xFF10 && c <= 0xFF19) return static_cast<char>('0' + (c - 0xFF10));
  return std::nullopt;
}
bool is_x(char32_t c) { return c == 'X' || c == 'x' || c == 0xFF38 || c == 0xFF58; }
bool is_separator(char32_t c) { return c == ' ' || c == '-' || c == 0xFF0D || c == 0x3000; }
bool is_ascii_alnum(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
         (c >= 0xFF41 && c <= 0xFF5A);
}
bool is_email_local(char32_t c) {
  return is_ascii_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool is_email_domain(char32_t c) { return is_ascii_alnum(c) || c == '.' || c == '-'; }

enum class Kind { phone, id_number, email };

int two(const std::string& s, std::size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

// A resident ID's shape: a region code not beginning with 0, then a birth date
// (yyyymmdd in 18 characters, yymmdd in the old 15 digits). The check digit is not
// required: a mistyped number is personal data all the same.
bool id_shaped(const std::string& d) {
  std::size_t n = d.size();
  if (n != 18 && n != 15) return false;
  if (d.find_first_not_of("0123456789") < (n == 18 ? 17 : 15)) return false;
  if (d[0] == '0') return false;
  std::size_t month_at = n == 18 ? 10 : 8;
  if (n == 18 && d.compare(6, 2, "18") != 0 && d.compare(6, 2, "19") != 0 &&
      d.compare(6, 2, "20") != 0)
    return false;
  int month = two(d, month_at), day = two(d, month_at + 2);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// What a run of digits (and a final X) is, if personal data.
std::optional<Kind> classify(const std::string& digits) {
  if (id_shaped(digits)) return Kind::id_number;
  if (digits.find('X') != std::string::npos) return std::nullopt;
  std::string d = digits;
  if (d.starts_with("0086")) d = d.substr(4);
  else if (d.size() == 13 && d.starts_with("86")) d = d.substr(2);
  if (d.size() == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9') return Kind::phone;
  if (d.size() >= 10 && d.size() <= 12 && d[0] == '0' && d[1] != '0') return Kind::phone;
  return std::nullopt;
}

struct Finding {
  std::size_t begin, end;  // byte range
  Kind kind;
  std::string value;  // normalized: digits only, or the address
};

std::vector<Finding> find(std::string_view text) {
  auto cps = decode(text);
  std::vector<Finding> out;
  std::size_t i = 0;
  while (i < cps.size()) {
    char32_t c = cps[i].c;
    // E-mail: an '@' with a local part before and a dotted domain after.
    if (c == '@') {
      std::size_t l = i;
      while (l > 0 && is_email_local(cps[l - 1].c)) --l;
      std::size_t r = i + 1;
      while (r < cps.size() && is_email_domain(cps[r].c)) ++r;
      while (r > i + 1 && (cps[r - 1].c == '.' || cps[r - 1].c == '-')) --r;
      std::string local, domain;
      for (std::size_t k = l; k < i; ++k) local += static_cast<char>(cps[k].c < 0x80 ? cps[k].c : '?');
      for (std::size_t k = i + 1; k < r; ++k)
        domain += static_cast<char>(cps[k].c < 0x80 ? cps[k].c : '?');
      auto dot = domain.rfind('.');
      if (!local.empty() && dot != std::string::npos && dot > 0 && domain.size() - dot > 2) {
        // Drop a number found inside the local part ("13812345678@qq.com" is one address).
        while (!out.empty() && out.back().end > cps[l].at) out.pop_back();
        out.push_back({cps[l].at, cps[r - 1].at + cps[r - 1].len, Kind::email,
                       local + "@" + domain});
        i = r;
        continue;
      }
      ++i;
      continue;
    }
    bool starts_number = digit_of(c) || (c == '+' && i + 1 < cps.size() && digit_of(cps[i + 1].c));
    if (!starts_number || (i > 0 && (is_ascii_alnum(cps[i - 1].c) || cps[i - 1].c == '@'))) {
      ++i;
      continue;
    }
    // Groups of digits joined by single separators: ends[k] is the code point after group k.
    std::size_t j = c == '+' ? i + 1 : i;
    std::vector<std::size_t> ends;
    std::vector<std::string> digits_to;  // digits up to the end of each group
    std::string digits;
    while (j < cps.size()) {
      std::size_t g = j;
      while (j < cps.size() && digit_of(cps[j].c)) digits += *digit_of(cps[j++].c);
      if (j < cps.size() && is_x(cps[j].c) && j > g) {
        digits += 'X';
        ++j;
      }
      if (j == g) break;
      ends.push_back(j);
      digits_to.push_back(digits);
      if (digits.back() == 'X') break;
      if (j + 1 < cps.size() && is_separator(cps[j].c) && digit_of(cps[j + 1].c)) {
        ++j;
        continue;
      }
      break;
    }
    if (ends.empty()) {
      ++i;
      continue;
    }
    bool found = false;
    for (std::size_t k = ends.size(); k-- > 0;) {
      std::size_t e = ends[k];
      if (e < cps.size() && (is_ascii_alnum(cps[e].c) || cps[e].c == '@')) continue;
      auto kind = classify(digits_to[k]);
      if (!kind) continue;
      out.push_back({cps[i].at, cps[e - 1].at + cps[e - 1].len, *kind, digits_to[k]});
      i = e;
      found = true;
      break;
    }
    if (!found) {
      // Skip the first group; a later one may stand apart ("2019 13812345678").
      i = ends.front();
      while (i < cps.size() && (digit_of(cps[i].c) || is_x(cps[i].c))) ++i;
    }
  }
  return out;
}

std::string replace_literals(std::string s, const std::vector<Literal>& literals) {
  for (auto& l : literals) {
    if (l.text.empty()) continue;
    std::size_t pos = 0;
    while ((pos = s.find(l.text, pos)) != std::string::npos) {
      s.replace(pos, l.text.size(), l.replacement);
      pos += l.replacement.size();
    }
  }
  return s;
}

std::string phone_digits(const std::string& d) {
  if (d.starts_with("0086")) return d.substr(4);
  if (d.size() == 13 && d.starts_with("86")) return d.substr(2);
  return d;
}

std::string rewrite(std::string_view text, bool mask) {
  std::string out;
  std::size_t last = 0;
  for (auto& f : find(text)) {
    out.append(text.substr(last, f.begin - last));
    switch (f.kind) {
      case Kind::phone:
        out += mask ? patrons::mask_phone(phone_digits(f.value)) : "[电话]";
        break;
      case Kind::id_number:
        out += mask ? patrons::mask_id_number(f.value) : "[证件号]";
        break;
      case Kind::email:
        out += mask ? patrons::mask_email(f.value) : "[邮箱]";
        break;
    }
    last = f.end;
  }
  out.append(text.substr(last));
  return out;
}

}  // namespace

std::string mask_personal_data(std::string_view text, const std::vector<Literal>& literals) {
  // Numbers first: a literal (a ticket number) may contain digits that look like one.
  return replace_literals(rewrite(text, true), literals);
}

std::string remove_personal_data(std::string_view text, const std::vector<Literal>& literals) {
  // Literals first: a ticket number T2026-000042 must go whole, not in part.
  return rewrite(replace_literals(std::string(text), literals), false);
}

std::string mask_name(std::string_view name) {
  auto cps = decode(name);
  while (!cps.empty() && (cps.back().c == ' ')) cps.pop_back();
  if (cps.empty()) return "";
  if (cps.size() == 1) return "*";
  return std::string(name.substr(0, cps[0].len)) + std::string(cps.size() - 1, '*');
}

}  // namespace dangan::service
