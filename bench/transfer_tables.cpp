// transfer_tables.cpp — how fast the import's own part is, without the database: read a
// file (CSV, XLSX, JSON, NDJSON), map every row to a record body with the default
// mapping, and optionally write the rows out again in another format.
//
//   bench_transfer_tables FILE [--format F] [--write OUT --write-format F]
//
// Prints rows, seconds and rows/s for each stage, and the peak memory.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "transfer/mapping.h"
#include "transfer/tables.h"

using namespace dangan;
using namespace dangan::transfer;

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

long peak_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

int fail(const Error& e) {
  std::fprintf(stderr, "error: %s\n", e.message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [--format F] [--write OUT --write-format F]\n", argv[0]);
    return 2;
  }
  std::string file = argv[1], format_name, out, out_format_name;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--format")) format_name = argv[i + 1];
    if (!std::strcmp(argv[i], "--write")) out = argv[i + 1];
    if (!std::strcmp(argv[i], "--write-format")) out_format_name = argv[i + 1];
  }
  auto format =
      format_name.empty() ? format_from_path(file) : std::optional(*parse_format(format_name));
  if (!format) return fail({ErrorCode::invalid, "give --format", ""});

  auto t0 = std::chrono::steady_clock::now();
  auto reader = open_reader(*format, Input::file(file));
  if (!reader) return fail(reader.error());
  Mapping mapping;
  mapping.defaults["access_level"] = "open";
  auto plan = Plan::make((*reader)->columns(), mapping);
  if (!plan) return fail(plan.error());
  std::unique_ptr<TableWriter> writer;
  if (!out.empty()) {
    auto of =
        parse_format(out_format_name.empty() ? std::string(to_string(*format)) : out_format_name);
    if (!of) return fail(of.error());
    auto w = open_writer(*of, out);
    if (!w) return fail(w.error());
    writer = std::move(*w);
    std::vector<Column> cols;
    for (auto& c : (*reader)->columns()) cols.push_back({c, CellKind::text});
    if (auto s = writer->begin(cols); !s) return fail(s.error());
  }
  Row row;
  std::int64_t rows = 0, bad = 0;
  std::vector<RowError> errors;
  Lookups lookups;
  for (;;) {
    auto more = (*reader)->next(row);
    if (!more) return fail(more.error());
    if (!*more) break;
    ++rows;
    errors.clear();
    if (!plan->to_record(row, (*reader)->columns(), lookups, errors)) ++bad;
    if (writer)
      if (auto s = writer->write(row.cells); !s) return fail(s.error());
  }
  if (writer)
    if (auto s = writer->finish(); !s) return fail(s.error());
  double secs = since(t0);
  std::printf(
      "%s: %lld rows (%lld with errors) read, mapped%s in %.2f s = %.0f rows/s; peak %ld MB\n",
      file.c_str(), static_cast<long long>(rows), static_cast<long long>(bad),
      writer ? " and written" : "", secs, static_cast<double>(rows) / secs, peak_mb());
  return 0;
}
