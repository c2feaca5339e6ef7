#include "transfer/export.h"

#include <fstream>
#include <iostream>
#include <algorithm>
#include <map>

#include "audit/audit.h"
#include "catalogue/dublin_core.h"
#include "auth/auth.h"

namespace dangan::transfer {

using json = nlohmann::json;

namespace {

constexpr int kPage = 1000;

// How a category is named in a file: its code path from the root ("WS.BG").
using CategoryPaths = std::map<std::int64_t, std::string>;

Result<CategoryPaths> category_paths(catalogue::Service& catalogue, const Actor& by) {
  auto cats = TRY(catalogue.list_categories(by));
  std::map<std::int64_t, std::pair<std::optional<std::int64_t>, std::string>> by_id;
  for (auto& c : cats["items"])
    by_id[c["id"].get<std::int64_t>()] = {
        c["parent_id"].is_null() ? std::nullopt
                                 : std::optional<std::int64_t>(c["parent_id"].get<std::int64_t>()),
        c["code"].get<std::string>()};
  CategoryPaths out;
  for (auto& [id, entry] : by_id) {
    std::string path = entry.second;
    auto parent = entry.first;
    for (int guard = 0; parent && guard < 64; ++guard) {
      auto it = by_id.find(*parent);
      if (it == by_id.end()) break;
      path = it->second.second + "." + path;
      parent = it->second.first;
    }
    out[id] = path;
  }
  return out;
}

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual Status begin() = 0;
  virtual Status write(const json& rec) = 0;
  virtual Status finish() = 0;
};

class TableSink : public RecordSink {
 public:
  TableSink(std::unique_ptr<TableWriter> w, const CategoryPaths& paths,
            std::vector<Column> columns)
      : w_(std::move(w)), paths_(paths), columns_(std::move(columns)) {}
  Status begin() override { return w_->begin(columns_); }
  Status write(const json& rec) override {
    cells_.clear();
    for (auto& c : columns_) cells_.push_back(cell(rec, c.name));
    return w_->write(cells_);
  }
  Status finish() override { return w_->finish(); }

 private:
  Cell cell(const json& rec, const std::string& name) const {
    if (name == "fonds") return rec["fonds"].is_object() ? rec["fonds"]["code"] : json();
    if (name == "category") {
      if (!rec["category"].is_object()) return nullptr;
      auto it = paths_.find(rec["category"]["id"].get<std::int64_t>());
      return it != paths_.end() ? json(it->second) : rec["category"]["code"];
    }
    if (name == "retention")
      return rec["retention"].is_object() ? rec["retention"]["code"] : json();
    if (name == "location_id")
      return rec.contains("location") && rec["location"].is_object() ? rec["location"]["id"]
                                                                     : json();
    auto it = rec.find(name);
    if (it == rec.end()) return nullptr;
    if (it->is_string() && it->get_ref<const std::string&>().empty()) return nullptr;
    return *it;
  }

  std::unique_ptr<TableWriter> w_;
  const CategoryPaths& paths_;
  std::vector<Column> columns_;
  std::vector<Cell> cells_;
};

// XML 1.0 text: escaped, without the control characters XML cannot carry.
void xml_text(std::string& out, const std::string& s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        if (c < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') break;
        out += ch;
    }
  }
}

class DublinCoreSink : public RecordSink {
 public:
  DublinCoreSink(const std::string& path, std::string exported_at)
      : path_(path), exported_at_(std::move(exported_at)) {}
  Status begin() override {
    if (path_ == "-") {
      out_ = &std::cout;
    } else {
      file_.open(path_, std::ios::binary | std::ios::trunc);
      if (!file_) return invalid("file", "cannot write " + path_);
      out_ = &file_;
    }
    *out_ << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<records xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/oai_dc/\"\n"
             "         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
             "         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
             "         exported_at=\""
          << exported_at_ << "\">\n";
    return {};
  }
  Status write(const json& rec) override {
    buf_.clear();
    buf_ +=
        "  <oai_dc:dc xsi:schemaLocation=\"http://www.openarchives.org/OAI/2.0/oai_dc/ "
        "http://www.openarchives.org/OAI/2.0/oai_dc.xsd\">\n";
    for (const auto& [name, value] : catalogue::dublin_core(rec)) {
      buf_ += "    <dc:";
      buf_ += name;
      buf_ += '>';
      xml_text(buf_, value);
      buf_ += "</dc:";
      buf_ += name;
      buf_ += ">\n";
    }
    buf_ += "  </oai_dc:dc>\n";
    *out_ << buf_;
    if (!*out_) return fail(ErrorCode::internal, "writing the XML output failed");
    return {};
  }
  Status finish() override {
    *out_ << "</records>\n";
    out_->flush();
    if (file_.is_open()) file_.close();
    if (!*out_ || (out_ == &file_ && file_.fail()))
      return fail(ErrorCode::internal, "writing " + path_ + " failed");
    return {};
  }

 private:
  std::string path_, exported_at_;
  std::ofstream file_;
  std::ostream* out_ = nullptr;
  std::string buf_;
};

// JSON exports carry each record's attachments (name, size, SHA-256, format) with their
// electronic signatures (D41: embedded ones with what the integrity check found,
// recorded ones as staff entered them), so the export describes the content it refers
// to. One query for the page's attachments and one for their signatures.
Status add_attachments(store::Database& db, json& items) {
  if (items.empty()) return {};
  std::string in;
  store::Params params;
  std::map<std::int64_t, json*> by_record;
  for (auto& rec : items) {
    auto id = rec["id"].get<std::int64_t>();
    rec["attachments"] = json::array();
    by_record[id] = &rec["attachments"];
    in += in.empty() ? "?" : ",?";
    params.push_back(id);
  }
  auto tx = TRY(db.begin(store::TxMode::read));
  auto rows = TRY(tx->query(
      "SELECT a.id, a.record_id, a.filename, a.mime, a.size, a.sha256, b.format, a.created_at "
      "FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.sha256 WHERE a.removed = 0 AND "
      "a.record_id IN (" + in + ") ORDER BY a.record_id, a.id",
      params));
  if (rows.empty()) return {};
  std::map<std::int64_t, json> signatures;
  std::string att_in;
  store::Params att_params;
  for (auto& r : rows) {
    signatures[r.i64(0)] = json::array();
    att_in += att_in.empty() ? "?" : ",?";
    att_params.push_back(r.i64(0));
  }
  auto sigs = TRY(tx->query(
      "SELECT attachment_id, source, signer, signed_at, method, certificate_ref, note, "
      "integrity, detail, field_name FROM attachment_signatures WHERE removed = 0 AND "
      "attachment_id IN (" + att_in + ") ORDER BY attachment_id, id",
      att_params));
  auto opt = [](const store::Row& r, std::size_t i) {
    return r.is_null(i) ? json() : json(r.str(i));
  };
  for (auto& r : sigs) {
    bool embedded = r.str(1) == "embedded";
    json s = {{"source", r.str(1)},       {"signer", opt(r, 2)},
              {"signed_at", opt(r, 3)},   {"method", r.str(4)},
              {"certificate_ref", opt(r, 5)}, {"note", opt(r, 6)},
              {"integrity", opt(r, 7)},   {"trust", embedded ? json("not_verified") : json()}};
    if (embedded) {
      json detail = json::parse(r.str(8), nullptr, false);
      s["field"] = opt(r, 9);
      if (!detail.is_discarded()) s["detail"] = detail;
    }
    signatures[r.i64(0)].push_back(std::move(s));
  }
  for (auto& r : rows)
    by_record[r.i64(1)]->push_back({{"id", r.i64(0)},
                                    {"filename", r.str(2)},
                                    {"mime", r.str(3)},
                                    {"size", r.i64(4)},
                                    {"sha256", opt(r, 5)},
                                    {"format", opt(r, 6)},
                                    {"created_at", r.str(7)},
                                    {"signatures", signatures[r.i64(0)]}});
  return {};
}

}  // namespace

json ExportFilter::to_json() const {
  json j = json::object();
  if (fonds) j["fonds"] = *fonds;
  if (category) j["category"] = *category;
  if (year_from) j["year_from"] = *year_from;
  if (year_to) j["year_to"] = *year_to;
  if (access_level) j["access_level"] = *access_level;
  if (status) j["status"] = *status;
  if (carrier) j["carrier"] = *carrier;
  return j;
}

const std::vector<Column>& export_columns() {
  static const std::vector<Column> kColumns = {
      {"id", CellKind::integer},          {"reference_code", CellKind::text},
      {"title", CellKind::text},          {"description", CellKind::text},
      {"keywords", CellKind::list},       {"creator", CellKind::text},
      {"year", CellKind::integer},        {"date_from", CellKind::date},
      {"date_to", CellKind::date},        {"fonds", CellKind::text},
      {"category", CellKind::text},       {"retention", CellKind::text},
      {"access_level", CellKind::text},   {"carrier", CellKind::text},
      {"pages", CellKind::integer},       {"important", CellKind::boolean},
      {"location_id", CellKind::integer}, {"patron_id", CellKind::integer},
      {"status", CellKind::text},         {"created_at", CellKind::text},
      {"updated_at", CellKind::text}};
  return kColumns;
}

Exporter::Exporter(store::Database& db, catalogue::Service& catalogue, const Clock& clock)
    : db_(db), catalogue_(catalogue), clock_(clock) {}

namespace {

struct Plan {
  catalogue::RecordQuery q;
  std::vector<std::string> statuses;
  CategoryPaths paths;
};

Result<Plan> plan_for(catalogue::Service& catalogue, const Actor& by, const ExportFilter& f) {
  Plan p;
  catalogue::RecordQuery& q = p.q;
  q.limit = kPage;
  q.year_from = f.year_from;
  q.year_to = f.year_to;
  q.access_level = f.access_level;
  q.carrier = f.carrier;
  if (f.year_from && f.year_to && *f.year_to < *f.year_from)
    return invalid("year_to", "year_to is before year_from");
  if (f.fonds) {
    auto fonds = TRY(catalogue.list_fonds(by));
    for (auto& x : fonds["items"])
      if (x["code"] == *f.fonds) q.fonds_id = x["id"].get<std::int64_t>();
    if (!q.fonds_id) return invalid("fonds", "no fonds with code " + *f.fonds);
  }
  p.paths = TRY(category_paths(catalogue, by));
  if (f.category) {
    for (auto& [id, path] : p.paths)
      if (path == *f.category) q.category_id = id;
    if (!q.category_id) return invalid("category", "no category with code " + *f.category);
  }
  p.statuses = {f.status.value_or("active")};
  if (p.statuses[0] == "all") p.statuses = {"active", "closed", "disposed"};
  for (auto& s : p.statuses)
    if (s != "active" && s != "closed" && s != "disposed")
      return invalid("status", "status must be active, closed, disposed or all");
  return p;
}

}  // namespace

Result<ExportScan> Exporter::scan(const Actor& by, const ExportOptions& o, std::int64_t limit) {
  TRY_STATUS(auth::require(by, auth::Permission::record_transfer));
  Plan plan = TRY(plan_for(catalogue_, by, o.filter));
  ExportScan out;
  plan.q.limit = static_cast<int>(std::min<std::int64_t>(kPage, limit + 1));
  for (auto& status : plan.statuses) {
    plan.q.status = status;
    plan.q.cursor.reset();
    for (;;) {
      auto page = TRY(catalogue_.list_records(by, plan.q));
      for (auto& rec : page["items"]) {
        if (++out.records > limit) {
          out.more = true;
          return out;
        }
        std::string level = rec.value("access_level", "");
        out.controlled |= level == "controlled";
        out.secret |= level == "secret";
      }
      if (page["next_cursor"].is_null()) break;
      plan.q.cursor = page["next_cursor"].get<std::string>();
    }
  }
  return out;
}

Result<std::int64_t> Exporter::write(const Actor& by, const std::string& path,
                                     const ExportOptions& o,
                                     const std::function<void(std::int64_t)>& progress) {
  TRY_STATUS(auth::require(by, auth::Permission::record_transfer));
  const ExportFilter& f = o.filter;
  Plan plan = TRY(plan_for(catalogue_, by, f));
  catalogue::RecordQuery& q = plan.q;
  const CategoryPaths& paths = plan.paths;
  const std::vector<std::string>& statuses = plan.statuses;

  std::unique_ptr<RecordSink> sink;
  if (o.format == Format::dublin_core)
    sink = std::make_unique<DublinCoreSink>(path, format_time(clock_.now()));
  bool with_attachments = o.format == Format::json || o.format == Format::ndjson;
  if (o.format != Format::dublin_core) {
    std::vector<Column> columns = export_columns();
    if (with_attachments) columns.push_back({"attachments", CellKind::list});
    sink = std::make_unique<TableSink>(TRY(open_writer(o.format, path, o.write)), paths,
                                       std::move(columns));
  }
  TRY_STATUS(sink->begin());
  std::int64_t n = 0;
  for (auto& status : statuses) {
    q.status = status;
    q.cursor.reset();
    for (;;) {
      auto page = TRY(catalogue_.list_records(by, q));
      if (with_attachments) TRY_STATUS(add_attachments(db_, page["items"]));
      for (auto& rec : page["items"]) {
        TRY_STATUS(sink->write(rec));
        ++n;
      }
      if (progress) progress(n);
      if (page["next_cursor"].is_null()) break;
      q.cursor = page["next_cursor"].get<std::string>();
    }
  }
  TRY_STATUS(sink->finish());

  auto tx = TRY(db_.begin(store::TxMode::write));
  json detail = {
      {"filter", f.to_json()}, {"format", std::string(to_string(o.format))}, {"rows", n}};
  if (o.request_id) detail["request_id"] = *o.request_id;
  TRY_STATUS(audit::append(*tx, by, {"record.export", "records", "", {}, "", detail}, clock_));
  TRY_STATUS(tx->commit());
  return n;
}

}  // namespace dangan::transfer
