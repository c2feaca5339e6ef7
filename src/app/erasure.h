// erasure.h — every module's erasure steps in one registry (patrons/erasure.h), as the
// server wires them; erasure_test.cpp checks the result names every table with a
// patron_id column.
#pragma once
#include "patrons/erasure.h"
#include "service/erasure.h"
#include "store/db.h"

namespace dangan::app {

void declare_erasure(patrons::Erasure& erasure, store::Database& db,
                     service::ErasureFiles files = {});

}  // namespace dangan::app
