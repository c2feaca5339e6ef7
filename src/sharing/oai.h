// oai.h — an OAI-PMH 2.0 data provider over the open catalogue, so other archives and
// union catalogues can harvest it (DOMAIN item 12).
//
// Verbs: Identify, ListMetadataFormats, ListSets, ListIdentifiers, ListRecords,
// GetRecord. Metadata format: oai_dc (unqualified Dublin Core). Sets: "fonds:<code>"
// and "category:<code>[:<sub-code>…]" (hierarchical). Identifiers:
// "oai:<repository id>:record/<id>". Datestamps: the record's last change, to the second.
//
// Only open records outside any embargo are harvestable; an open record that was
// disposed of is reported with status="deleted". A record that stops being open
// (access level raised) is no longer listed, so the repository declares
// deletedRecord=transient. Lists are paged (100 per page) with resumption tokens that
// carry the position, so they stay valid while records change.
#pragma once
#include <map>
#include <string>

#include "catalogue/catalogue.h"
#include "core/config.h"

namespace dangan::sharing {

class OaiProvider {
 public:
  OaiProvider(catalogue::Service& catalogue, const Config& config, const Clock& clock = system_clock())
      : catalogue_(catalogue), config_(config), clock_(clock) {}
  // `args`: the request's arguments (repeated ones flagged by the caller through
  // `repeated`); `base_url`: this endpoint's URL. Always answers an OAI-PMH XML document
  // (protocol errors are inside it, as the protocol requires).
  std::string handle(const std::multimap<std::string, std::string>& args,
                     const std::string& base_url);

  static constexpr int kPageSize = 100;

 private:
  catalogue::Service& catalogue_;
  const Config& config_;
  const Clock& clock_;
};

}  // namespace dangan::sharing
