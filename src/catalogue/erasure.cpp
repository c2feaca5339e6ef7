// The catalogue's erasure steps (erasure.h).
#include "catalogue/erasure.h"

#include <string>

namespace dangan::catalogue {

void declare_erasure(patrons::Erasure& e) {
  e.add(patrons::Erasure::keep_rows(
      "records",
      "customer files are archival records kept under their retention period (PIPL art. 47: "
      "storage only); the link keeps their reads audited and lets appraisal dispose of them"));
  e.add(patrons::Erasure::redact_rows(
      "donors", "patron_id = ?",
      "contact = CASE WHEN contact = '' THEN '' ELSE '" + std::string(patrons::kErased) +
          "' END, notes = CASE WHEN notes = '' THEN '' ELSE '" + patrons::kErased + "' END",
      "contact details and notes; the donor's name stays in the accession register "
      "(provenance)"));
}

}  // namespace dangan::catalogue
