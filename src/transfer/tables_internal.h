// tables_internal.h — what the table readers share inside src/transfer (not an interface
// for other modules).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "transfer/tables.h"

namespace dangan::transfer::detail {

// Bytes of a file or of a buffer in memory, read front to back.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `n` bytes into `buf`; 0 at the end.
  virtual Result<std::size_t> read(char* buf, std::size_t n) = 0;
  virtual std::uint64_t size() const = 0;
  virtual std::uint64_t consumed() const = 0;
};
Result<std::unique_ptr<ByteSource>> open_source(const Input& input);

Result<std::unique_ptr<TableReader>> open_csv_reader(std::unique_ptr<ByteSource> src,
                                                     const ReadOptions& options);
Result<std::unique_ptr<TableReader>> open_json_reader(std::unique_ptr<ByteSource> src, bool ndjson);
Result<std::unique_ptr<TableReader>> open_xlsx_reader(const Input& input,
                                                      const ReadOptions& options);

// "column 3" for a header cell left empty.
std::string unnamed_column(std::size_t index);
bool all_empty(const std::vector<Cell>& cells);

}  // namespace dangan::transfer::detail
