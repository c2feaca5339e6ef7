// catalogue_api.h — the /api/v1 routes of the catalogue: fonds, categories, retention
// periods, reference-code schemes, records, locations, appraisal and disposal.
#pragma once
#include "catalogue/catalogue.h"
#include "http/api.h"

namespace dangan::catalogue {

void register_routes(http::Api& api, Service& service);

}  // namespace dangan::catalogue
