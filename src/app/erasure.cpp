// Wires the modules' erasure steps (erasure.h).
#include "app/erasure.h"

#include "catalogue/erasure.h"
#include "loans/erasure.h"

namespace dangan::app {

void declare_erasure(patrons::Erasure& e, store::Database& db, service::ErasureFiles files) {
  service::declare_erasure(e, db, files);
  loans::declare_erasure(e);
  catalogue::declare_erasure(e);
  // The search log (src/search is not changed this session, so its step is declared
  // here). What a person typed may be their own name or ID number; without the text a
  // row counts for nothing in the unmet-demand report, which groups by term.
  e.add(patrons::Erasure::delete_rows("search_log", "patron_id = ?",
                                      "the searches of the patron's portal accounts"));
}

}  // namespace dangan::app
