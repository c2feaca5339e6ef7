// validation.h — checks and normal forms for patron fields: mainland resident ID
// numbers (GB 11643, with check digit and birth date), unified social credit codes
// (GB 32100), phone numbers, e-mail addresses, postcodes; and the masks shown to roles
// that may not see a value in full.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace dangan::patrons {

bool valid_resident_id(std::string_view id);           // 18 characters, check digit, date
bool valid_social_credit_code(std::string_view code);  // 18 characters, check character
// Digits only, without +86 / 0086; nullopt when not a plausible phone number.
std::optional<std::string> normalize_phone(std::string_view phone);
// Lower-cased; nullopt when not a plausible address.
std::optional<std::string> normalize_email(std::string_view email);
bool valid_postcode(std::string_view s);

std::string mask_phone(std::string_view phone);                // 138****5678
std::string mask_id_number(std::string_view id);               // 110105********123X
std::string mask_email(std::string_view email);                // z***@example.cn
std::string mask_text(std::string_view utf8, int keep_chars);  // first N characters + ****

}  // namespace dangan::patrons
