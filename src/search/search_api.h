// search_api.h — the /api/v1/search routes: searching (staff and portal patrons), marking
// that a search led to opening a record, and the unmet-demand report.
//
// Who searches with which audience (search.h): staff with record_read search open and
// controlled records, and secret ones too with record_secret; portal patrons search as
// Audience::patron; auditors may not search. Every search is logged; a patron's search
// also lands on their timeline, in the same transaction as its log entry. When another
// write holds the database (SQLite: a long import), the entry is written later and the
// search answers without a search_id (docs/search.md, "The search log").
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "http/api.h"
#include "search/search.h"
#include "store/db.h"

namespace dangan::search {

// Labels of facet values: facet ("category", "fonds") and ids → {"<id>": "label"}; ids it
// does not know are left unlabelled.
using FacetLabels =
    std::function<nlohmann::json(const std::string& facet, const std::vector<std::int64_t>& ids)>;
// The controlled records a patron may read in full (catalogue::Service::content_granted:
// approved loans, own files); none by default.
using ContentAllowed = std::function<std::vector<std::int64_t>(const Actor& patron)>;

// The ranking weights of the [search] section of the configuration.
Weights weights_from(const Config& config);

void register_search_routes(http::Api& api, store::Database& db, const Config& config,
                            FacetLabels facet_labels, ContentAllowed content_allowed = {});

}  // namespace dangan::search
