// collection.h — how holdings arrive and how they are kept: acquisition and accession
// (D7), storerooms with equipment, climate readings, thresholds, alerts and inspections
// (D48), and printed labels with barcodes for boxes and records (D36).
//
// Accessions: donors and depositors sign agreements; an accession (接收) registers one
// batch — date, source, method, count, condition — optionally under an acquisition plan
// and an agreement; records catalogued from it are linked to it, and the plan reports
// how far it got.
//
// Environment alerts, per storeroom (a location) and kind:
//
//   (reading out of range) --> open --acknowledge--> acknowledged --resolve--> resolved
//                               |                                    ^
//                               +-------------resolve----------------+
//
// While an alert of a kind is open or acknowledged, further out-of-range readings of
// that kind add to it (count, worst value) instead of raising new ones. Default
// thresholds follow common practice for paper archives: 14–24 °C, 45–60 % RH.
//
// Invariants: every change is one transaction with its audit entry.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "audit/audit.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::catalogue {

class Collection {
 public:
  // `reads` records the customer names box labels print (patrons::names_in_list).
  Collection(store::Database& db, audit::ReadRecorder* reads = nullptr,
             const Clock& clock = system_clock())
      : db_(db), reads_(reads), clock_(clock) {}

  // D7.
  Result<nlohmann::json> create_donor(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_donors(const Actor& by);
  Result<nlohmann::json> create_agreement(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_agreements(const Actor& by, std::optional<std::int64_t> donor_id);
  Result<nlohmann::json> create_plan(const Actor& by, const nlohmann::json& body);
  // Plans with how many accessions and items arrived against the target.
  Result<nlohmann::json> list_plans(const Actor& by);
  Result<nlohmann::json> create_accession(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_accessions(const Actor& by, std::optional<std::int64_t> plan_id,
                                         std::optional<std::string> cursor, int limit);
  Result<nlohmann::json> get_accession(const Actor& by, std::int64_t id);
  // Links catalogued records to the accession they came from.
  Result<nlohmann::json> link_records(const Actor& by, std::int64_t id, const nlohmann::json& body);

  // D48.
  Result<nlohmann::json> add_equipment(const Actor& by, std::int64_t location_id,
                                       const nlohmann::json& body);
  Result<nlohmann::json> list_equipment(const Actor& by, std::int64_t location_id);
  Result<nlohmann::json> set_thresholds(const Actor& by, std::int64_t location_id,
                                        const nlohmann::json& body);
  // Records one reading (or {"readings": [...]}) and raises or extends alerts.
  Result<nlohmann::json> add_readings(const Actor& by, std::int64_t location_id,
                                      const nlohmann::json& body);
  Result<nlohmann::json> readings(const Actor& by, std::int64_t location_id,
                                  std::optional<std::string> from, std::optional<std::string> to,
                                  int limit);
  Result<nlohmann::json> alerts(const Actor& by, std::optional<std::string> status, int limit);
  Result<nlohmann::json> update_alert(const Actor& by, std::int64_t id, const std::string& action,
                                      const std::string& note);
  Result<nlohmann::json> add_inspection(const Actor& by, std::int64_t location_id,
                                        const nlohmann::json& body);
  Result<nlohmann::json> inspections(const Actor& by, std::int64_t location_id);

  // D36: an SVG label. A record's: reference code as Code 128 barcode, title, fonds and
  // retention. A box's (spine label): its location, and the records in it — for a box
  // of one customer (high voltage) the customer's file number and name, for a box of
  // several (low voltage) the code range.
  Result<std::string> record_label(const Actor& by, std::int64_t record_id);
  Result<std::string> box_label(const Actor& by, std::int64_t location_id);

 private:
  store::Database& db_;
  audit::ReadRecorder* reads_;
  const Clock& clock_;
};

// Code 128 as SVG <rect> elements at (x, y) with `height`, `module` wide bars (zint).
Result<std::string> code128_svg(const std::string& text, double x, double y, double height,
                                double module, double* width_out = nullptr);

}  // namespace dangan::catalogue
