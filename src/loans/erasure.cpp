// The loans desk's erasure step (erasure.h).
#include "loans/erasure.h"

#include <string>

namespace dangan::loans {

void declare_erasure(patrons::Erasure& e) {
  const std::string erased = patrons::kErased;
  e.add(patrons::Erasure::redact_rows(
      "loans", "patron_id = ?",
      "note = CASE WHEN note = '' THEN '' ELSE '" + erased +
          "' END, return_note = CASE WHEN return_note = '' THEN '' ELSE '" + erased + "' END",
      "the basis of the loan and the return note; record, dates and renewals stay"));
}

}  // namespace dangan::loans
