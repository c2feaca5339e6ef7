// dublin_core.h — one mapping of a catalogue record to unqualified Dublin Core (the 15
// elements of DCMI), shared by the Dublin Core export (src/transfer) and OAI-PMH's oai_dc
// (src/sharing), so a harvester and a file export say the same thing about a record.
//
// Input: the record JSON as the catalogue returns it (Service::get_record / list_records).
// Missing or null fields are skipped; no element is emitted with an empty value. The
// order of elements is stable (title first), which tests and diffs rely on.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace dangan::catalogue {

// Element name without the `dc:` prefix, and its text.
using DcElement = std::pair<std::string, std::string>;

std::vector<DcElement> dublin_core(const nlohmann::json& record);

}  // namespace dangan::catalogue
