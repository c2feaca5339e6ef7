// redact.h — personal data in free text a patron or agent wrote: found by shape and
// masked (for the public message board) or removed (for FAQ entries).
//
// Found: mainland mobile numbers (11 digits beginning 1[3-9], with or without +86/0086,
// spaces or hyphens between groups), landlines with an area code (0 + 9–11 digits),
// resident ID numbers (18 characters, the last a digit or X; 15-digit old ones), and
// e-mail addresses. Full-width digits count as digits. A number glued to letters or
// other digits (a reference code such as QZ01-2019-0001, a year) is left alone: only a
// run that stands apart and has the exact shape is personal data. Literal strings the
// caller knows (the patron's name, a ticket number) are replaced wherever they occur.
//
// Masks reuse the patrons module's (138****5678, 110105********123X, z***@example.cn);
// removal writes a bracketed placeholder ([电话], [证件号], [邮箱]).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace dangan::service {

struct Literal {
  std::string text;         // replaced wherever it occurs (ignored when empty)
  std::string replacement;  // what stands in its place
};

// Board text: phones, ID numbers and e-mail addresses masked; literals replaced.
std::string mask_personal_data(std::string_view text, const std::vector<Literal>& literals = {});
// FAQ text: the same found and replaced by placeholders; literals replaced.
std::string remove_personal_data(std::string_view text, const std::vector<Literal>& literals = {});
// A person's name as the board shows it: the first character and one '*' for each
// other (张三丰 → 张**; a one-character name → *).
std::string mask_name(std::string_view name);

}  // namespace dangan::service
