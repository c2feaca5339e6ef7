// erasure.h — what erasing a patron does to loans (patrons/erasure.h): a loan stays
// (record, dates, renewals: utilisation statistics); its notes go.
#pragma once
#include "patrons/erasure.h"

namespace dangan::loans {

void declare_erasure(patrons::Erasure& erasure);

}  // namespace dangan::loans
