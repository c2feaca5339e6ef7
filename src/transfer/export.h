// export.h — catalogue records out to CSV, XLSX, JSON, NDJSON or Dublin Core XML.
//
// Records are read through catalogue::Service::list_records, a page at a time, and
// written as they come, so an export of any size uses the memory of one page. The
// caller sees only what list_records shows them (secret records only with
// record_secret). Table formats get one column per record field, named as the import's
// default mapping understands them, so an exported file imports again unchanged
// (fonds, category and retention by code; a sub-category as its code path "WS.BG").
// Dublin Core: one <oai_dc:dc> per record (title, creator, subject = keywords,
// description, date = year or the date range, identifier = reference code,
// type = DCMI type of the carrier, format = carrier and extent, rights = access level and
// rights, relation = fonds and category) inside a <records> wrapper.
//
// Every export needs record_transfer and is audited ("record.export", with the filter,
// the format and the row count) once it is complete.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "catalogue/catalogue.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/db.h"
#include "transfer/tables.h"

namespace dangan::transfer {

struct ExportFilter {
  std::optional<std::string> fonds;     // fonds code
  std::optional<std::string> category;  // category code or code path ("WS.BG"); its subtree
  std::optional<int> year_from, year_to;
  std::optional<std::string> access_level;  // open, controlled, secret
  std::optional<std::string> status;        // active (default), closed, disposed, all
  std::optional<std::string> carrier;
  nlohmann::json to_json() const;
};

struct ExportOptions {
  Format format = Format::csv;
  ExportFilter filter;
  WriteOptions write;
  std::optional<std::int64_t> request_id;  // the approved export request, for the audit
};

// What an export would contain, as far as scan() looked.
struct ExportScan {
  std::int64_t records = 0;  // counted, at most limit + 1
  bool more = false;         // more than `limit` records
  bool controlled = false, secret = false;  // among those counted
};

// The columns of a table export, in order.
const std::vector<Column>& export_columns();

class Exporter {
 public:
  Exporter(store::Database& db, catalogue::Service& catalogue, const Clock& clock = system_clock());
  // Writes to `path` ("-": standard output, not for XLSX); returns the number of records.
  // `progress(records so far)` is called after each page.
  Result<std::int64_t> write(const Actor& by, const std::string& path, const ExportOptions& o,
                             const std::function<void(std::int64_t)>& progress = {});
  // Walks the records `o` would export (as `by` sees them) and stops past `limit`: the
  // approval check of export requests, at the cost of at most limit + 1 records. Checks
  // the filter as write() does (unknown fonds or category: invalid).
  Result<ExportScan> scan(const Actor& by, const ExportOptions& o, std::int64_t limit);

 private:
  store::Database& db_;
  catalogue::Service& catalogue_;
  const Clock& clock_;
};

}  // namespace dangan::transfer
