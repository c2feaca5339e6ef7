// collection_api.h — /api/v1 routes for accessions (D7), storerooms (D48) and labels (D36).
#pragma once
#include "catalogue/collection.h"
#include "http/api.h"

namespace dangan::catalogue {

void register_collection_routes(http::Api& api, Collection& collection);

}  // namespace dangan::catalogue
