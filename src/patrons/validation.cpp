#include "patrons/validation.h"

#include <cctype>

#include "core/clock.h"

namespace dangan::patrons {
namespace {

bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

}  // namespace

bool valid_resident_id(std::string_view id) {
  if (id.size() != 18 || !all_digits(id.substr(0, 17))) return false;
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  char last = static_cast<char>(std::toupper(static_cast<unsigned char>(id[17])));
  if (kCheck[sum % 11] != last) return false;
  std::string date = std::string(id.substr(6, 4)) + "-" + std::string(id.substr(10, 2)) + "-" +
                     std::string(id.substr(12, 2));
  return valid_date(date) && date >= "1880-01-01";
}

bool valid_social_credit_code(std::string_view code) {
  static constexpr std::string_view kChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static constexpr int kWeights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                       29, 25, 13, 8,  24, 10, 30, 28};
  if (code.size() != 18) return false;
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    auto pos = kChars.find(static_cast<char>(std::toupper(static_cast<unsigned char>(code[i]))));
    if (pos == std::string_view::npos) return false;
    sum += static_cast<int>(pos) * kWeights[i];
  }
  int check = (31 - sum % 31) % 31;
  return kChars[check] == std::toupper(static_cast<unsigned char>(code[17]));
}

std::optional<std::string> normalize_phone(std::string_view phone) {
  std::string d;
  bool plus = false;
  for (std::size_t i = 0; i < phone.size(); ++i) {
    char c = phone[i];
    if (c >= '0' && c <= '9')
      d.push_back(c);
    else if (c == '+' && d.empty() && !plus)
      plus = true;
    else if (c == ' ' || c == '-' || c == '(' || c == ')')
      continue;
    else
      return std::nullopt;
  }
  if (plus && d.rfind("86", 0) == 0)
    d = d.substr(2), plus = false;
  else if (!plus && d.rfind("0086", 0) == 0)
    d = d.substr(4);
  if (plus) {  // another country: keep the international form
    if (d.size() < 7 || d.size() > 15) return std::nullopt;
    return "+" + d;
  }
  if (d.size() == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9') return d;  // mobile
  if (d.size() >= 10 && d.size() <= 12 && d[0] == '0') return d;  // landline with area code
  if (d.size() >= 7 && d.size() <= 8 && d[0] != '0') return d;    // local landline
  if (d.size() >= 5 && d.size() <= 6 && (d[0] == '1' || d[0] == '9')) return d;  // 12345 hotlines
  return std::nullopt;
}

std::optional<std::string> normalize_email(std::string_view email) {
  if (email.size() < 3 || email.size() > 254) return std::nullopt;
  auto at = email.find('@');
  if (at == 0 || at == std::string_view::npos || at != email.rfind('@')) return std::nullopt;
  auto domain = email.substr(at + 1);
  auto dot = domain.find('.');
  if (domain.empty() || dot == std::string_view::npos || dot == 0 || domain.back() == '.')
    return std::nullopt;
  std::string out;
  for (char c : email) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '<' || c == '>' || c == ',' ||
        c == ';' || c == '\\')
      return std::nullopt;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

bool valid_postcode(std::string_view s) { return s.size() == 6 && all_digits(s); }

std::string mask_phone(std::string_view phone) {
  if (phone.size() <= 7)
    return std::string(phone.size() > 2 ? phone.size() - 2 : 0, '*') +
           std::string(phone.substr(phone.size() > 2 ? phone.size() - 2 : 0));
  return std::string(phone.substr(0, 3)) + std::string(phone.size() - 7, '*') +
         std::string(phone.substr(phone.size() - 4));
}

std::string mask_id_number(std::string_view id) {
  // Resident IDs keep their region code and last four (110105********123X); shorter
  // numbers such as passports keep their first and last two characters.
  if (id.size() > 10)
    return std::string(id.substr(0, 6)) + std::string(id.size() - 10, '*') +
           std::string(id.substr(id.size() - 4));
  if (id.size() > 4)
    return std::string(id.substr(0, 1)) + std::string(id.size() - 3, '*') +
           std::string(id.substr(id.size() - 2));
  return std::string(id.size(), '*');
}

std::string mask_email(std::string_view email) {
  auto at = email.find('@');
  if (at == std::string_view::npos || at == 0) return "***";
  return std::string(email.substr(0, 1)) + "***" + std::string(email.substr(at));
}

std::string mask_text(std::string_view s, int keep_chars) {
  std::size_t i = 0;
  int n = 0;
  while (i < s.size() && n < keep_chars) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    ++n;
  }
  if (i > s.size()) i = s.size();
  return std::string(s.substr(0, i)) + "****";
}

}  // namespace dangan::patrons
