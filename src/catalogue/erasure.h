// erasure.h — what erasing a patron does to the catalogue's tables (patrons/erasure.h).
//
// Records linked to the patron (customer files, 客户档案) are archival records kept
// under their retention period: they stay whole, and so does their link to the patron,
// which keeps every read of them audited as a read of personal data and lets appraisal
// and disposal find them (the personal content goes when the file is disposed at the
// end of its retention period). A donor stays in the accession register, as provenance;
// their contact details and notes go. docs/privacy.md says why.
#pragma once
#include "patrons/erasure.h"

namespace dangan::catalogue {

void declare_erasure(patrons::Erasure& erasure);

}  // namespace dangan::catalogue
