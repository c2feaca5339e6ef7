// CSV reading: RFC 4180 fields over text decoded to UTF-8 a chunk at a time.
#include <unicode/ucnv.h>

#include <algorithm>
#include <cstring>

#include "text/text.h"
#include "transfer/tables_internal.h"

namespace dangan::transfer::detail {

namespace {

constexpr std::size_t kChunk = 1 << 16;
// A row longer than this is almost always an opening quote that was never closed.
constexpr std::size_t kMaxRowBytes = 16u << 20;

// Length of the valid UTF-8 prefix of `s`; `s` is valid when the result is its size, or
// when only an incomplete sequence at the end remains and more bytes may follow.
std::size_t valid_utf8_prefix(std::string_view s, bool more_follows) {
  std::size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      return i;
    }
    if (i + len > n) {
      // Check what is there; the rest may come with the next chunk.
      for (std::size_t k = i + 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[k]) & 0xC0) != 0x80) return i;
      return more_follows ? n : i;
    }
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return i;
    auto c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 > 0x8F))
      return i;
    i += len;
  }
  return n;
}

// Raw bytes in, UTF-8 out: a pass-through for UTF-8, ICU's converters for the rest.
class Decoder {
 public:
  Decoder(ByteSource& src, std::string first_chunk, std::string encoding)
      : src_(src), pending_(std::move(first_chunk)), encoding_(std::move(encoding)) {}
  ~Decoder() {
    if (from_) ucnv_close(from_);
    if (utf8_) ucnv_close(utf8_);
  }

  Status init() {
    if (encoding_ == "utf-8") return {};
    UErrorCode err = U_ZERO_ERROR;
    from_ = ucnv_open(encoding_.c_str(), &err);
    if (U_FAILURE(err)) return invalid("encoding", "unknown encoding " + encoding_);
    utf8_ = ucnv_open("UTF-8", &err);
    if (U_FAILURE(err)) return fail(ErrorCode::internal, "ICU has no UTF-8 converter");
    // Bytes that are not valid in the encoding stop the import rather than turning into
    // replacement characters unnoticed.
    ucnv_setToUCallBack(from_, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
    pivot_source_ = pivot_target_ = pivot_;
    return {};
  }

  // Appends decoded text to `out`; false when the input is exhausted.
  Result<bool> more(std::string& out) {
    if (done_) return false;
    std::string raw;
    if (!pending_.empty()) {
      raw = std::move(pending_);
      pending_.clear();
    } else {
      raw.resize(kChunk);
      std::size_t got = TRY(src_.read(raw.data(), raw.size()));
      raw.resize(got);
    }
    bool at_end = raw.empty();
    if (!from_) {
      if (at_end) {
        done_ = true;
        return false;
      }
      out += raw;
      return true;
    }
    const char* source = raw.data();
    const char* source_limit = raw.data() + raw.size();
    std::string& buffer = out_buf_;
    buffer.resize(kChunk * 2);
    char* buf = buffer.data();
    for (;;) {
      char* target = buf;
      UErrorCode err = U_ZERO_ERROR;
      ucnv_convertEx(utf8_, from_, &target, buf + buffer.size(), &source, source_limit, pivot_,
                     &pivot_source_, &pivot_target_, pivot_ + kPivot, false, at_end, &err);
      out.append(buf, static_cast<std::size_t>(target - buf));
      decoded_bytes_ += static_cast<std::uint64_t>(source - raw.data());
      raw.erase(0, static_cast<std::size_t>(source - raw.data()));
      source = raw.data();
      source_limit = raw.data() + raw.size();
      if (err == U_BUFFER_OVERFLOW_ERROR) continue;
      if (U_FAILURE(err))
        return invalid("file", "the file is not valid " + encoding_ + " near byte " +
                                   std::to_string(decoded_bytes_ + offset_) +
                                   "; save it as UTF-8 or give its encoding");
      break;
    }
    offset_ += decoded_bytes_;
    decoded_bytes_ = 0;
    if (at_end) done_ = true;
    return !at_end || !out.empty();
  }

 private:
  static constexpr std::size_t kPivot = 1024;
  ByteSource& src_;
  std::string pending_;
  std::string encoding_;
  std::string out_buf_;
  UConverter* from_ = nullptr;
  UConverter* utf8_ = nullptr;
  UChar pivot_[kPivot];
  UChar* pivot_source_ = nullptr;
  UChar* pivot_target_ = nullptr;
  std::uint64_t decoded_bytes_ = 0, offset_ = 0;
  bool done_ = false;
};

class CsvReader : public TableReader {
 public:
  CsvReader(std::unique_ptr<ByteSource> src, const ReadOptions& options)
      : src_(std::move(src)), options_(options) {}

  Status open() {
    std::string first(kChunk, '\0');
    first.resize(TRY(src_->read(first.data(), first.size())));
    std::string enc = options_.encoding;
    for (auto& c : enc) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (enc == "utf8") enc = "utf-8";
    if (enc == "gbk" || enc == "gb2312" || enc == "cp936") enc = "gb18030";
    auto starts = [&](std::string_view bom) { return first.compare(0, bom.size(), bom) == 0; };
    if (starts("\xEF\xBB\xBF")) {
      first.erase(0, 3);
      if (enc == "auto") enc = "utf-8";
    } else if (starts("\xFF\xFE")) {
      first.erase(0, 2);
      if (enc == "auto") enc = "utf-16le";
    } else if (starts("\xFE\xFF")) {
      first.erase(0, 2);
      if (enc == "auto") enc = "utf-16be";
    }
    if (enc == "auto") {
      bool short_file = first.size() < kChunk;
      enc = valid_utf8_prefix(first, !short_file) == first.size() ? "utf-8" : "gb18030";
    }
    if (enc != "utf-8" && enc != "gb18030" && enc != "utf-16le" && enc != "utf-16be")
      return invalid("encoding",
                     "unknown encoding '" + options_.encoding + "': use utf-8, gb18030 or utf-16");
    encoding_ = enc;
    decoder_ = std::make_unique<Decoder>(*src_, std::move(first), enc);
    TRY_STATUS(decoder_->init());
    TRY(fill());
    delimiter_ = options_.delimiter ? options_.delimiter : detect_delimiter();

    // The header: the first row with something in it.
    std::vector<std::string> fields;
    while (TRY(read_record(fields))) {
      bool any = std::any_of(fields.begin(), fields.end(), [](auto& f) {
        return f.find_first_not_of(" \t") != std::string::npos;
      });
      if (!any) continue;
      for (std::size_t i = 0; i < fields.size(); ++i) {
        std::string name = trim(fields[i]);
        if (!text::valid_utf8(name))
          return invalid("file", "row " + std::to_string(record_) +
                                     ": the header is not valid UTF-8; give the file's encoding");
        columns_.push_back(name.empty() ? unnamed_column(i) : name);
      }
      // Trailing unnamed columns (a row of "a,b,,") mean nothing.
      while (!columns_.empty() && columns_.back().starts_with("column ") &&
             columns_.back() == unnamed_column(columns_.size() - 1))
        columns_.pop_back();
      return {};
    }
    return invalid("file", "the file has no header row");
  }

  Result<bool> next(Row& row) override {
    std::vector<std::string> fields;
    while (TRY(read_record(fields))) {
      row.number = record_;
      row.cells.clear();
      row.cells.reserve(fields.size());
      for (auto& f : fields) {
        if (!text::valid_utf8(f))
          return invalid("file", "row " + std::to_string(record_) +
                                     ": not valid UTF-8; save the file as UTF-8 or give its "
                                     "encoding (gb18030)");
        if (f.empty()) {
          row.cells.emplace_back(nullptr);
        } else {
          // A formula guard written by our CSV writer (or by hand): '=… → =…
          if (f.size() >= 2 && f[0] == '\'' &&
              (f[1] == '=' || f[1] == '+' || f[1] == '-' || f[1] == '@'))
            f.erase(0, 1);
          row.cells.emplace_back(std::move(f));
        }
      }
      if (all_empty(row.cells)) continue;
      return true;
    }
    return false;
  }

  double progress() const override {
    auto size = src_->size();
    if (size == 0) return at_end_ ? 1.0 : 0.0;
    return std::min(1.0, static_cast<double>(src_->consumed()) / static_cast<double>(size));
  }

 private:
  static std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
  }

  Result<bool> fill() {
    if (at_end_) return false;
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    while (buf_.size() < kChunk) {
      if (!TRY(decoder_->more(buf_))) {
        at_end_ = true;
        break;
      }
    }
    return !buf_.empty();
  }

  // The most frequent of , ; TAB outside quotes on the first line; ',' when none.
  char detect_delimiter() const {
    std::size_t counts[3] = {0, 0, 0};
    bool quoted = false;
    for (char c : buf_) {
      if (c == '"') quoted = !quoted;
      if (quoted) continue;
      if (c == '\n' || c == '\r') break;
      if (c == ',') ++counts[0];
      if (c == ';') ++counts[1];
      if (c == '\t') ++counts[2];
    }
    if (counts[2] > counts[0] && counts[2] >= counts[1]) return '\t';
    if (counts[1] > counts[0]) return ';';
    return ',';
  }

  // -1 at the end of the input.
  Result<int> get() {
    if (pos_ >= buf_.size()) {
      if (!TRY(fill())) return -1;
    }
    return static_cast<unsigned char>(buf_[pos_++]);
  }
  Result<int> peek() {
    if (pos_ >= buf_.size()) {
      if (!TRY(fill())) return -1;
    }
    return static_cast<unsigned char>(buf_[pos_]);
  }

  // One record; false when the input ended before it began.
  Result<bool> read_record(std::vector<std::string>& fields) {
    fields.clear();
    int c = TRY(get());
    if (c < 0) return false;
    ++record_;
    std::int64_t started = record_;
    enum { kStart, kUnquoted, kQuoted, kAfterQuote } st = kStart;
    std::string cur;
    std::size_t bytes = 0;
    for (;; c = TRY(get())) {
      if (++bytes > kMaxRowBytes)
        return invalid("file", "row " + std::to_string(started) +
                                   " is longer than 16 MB: is a quote (\") never closed?");
      if (st == kQuoted) {
        if (c < 0)
          return invalid(
              "file", "row " + std::to_string(started) + ": a quoted field (\"…) is never closed");
        if (c == '"')
          st = kAfterQuote;
        else
          cur.push_back(static_cast<char>(c));
        continue;
      }
      if (st == kAfterQuote && c == '"') {
        cur.push_back('"');
        st = kQuoted;
        continue;
      }
      // kStart, kUnquoted or just after a closing quote.
      if (c < 0 || c == '\n') {
        fields.push_back(std::move(cur));
        return true;
      }
      if (c == '\r') {
        if (TRY(peek()) == '\n') TRY(get());
        fields.push_back(std::move(cur));
        return true;
      }
      if (c == static_cast<unsigned char>(delimiter_)) {
        fields.push_back(std::move(cur));
        cur.clear();
        st = kStart;
        continue;
      }
      if (c == '"' && st == kStart) {
        st = kQuoted;
        continue;
      }
      // Text after a closing quote, or a quote inside an unquoted field: kept as it is,
      // the way Excel reads it.
      cur.push_back(static_cast<char>(c));
      st = kUnquoted;
    }
  }

  std::unique_ptr<ByteSource> src_;
  ReadOptions options_;
  std::unique_ptr<Decoder> decoder_;
  std::string buf_;
  std::size_t pos_ = 0;
  bool at_end_ = false;
  char delimiter_ = ',';
  std::int64_t record_ = 0;  // records read so far: the spreadsheet row of the last one
};

}  // namespace

Result<std::unique_ptr<TableReader>> open_csv_reader(std::unique_ptr<ByteSource> src,
                                                     const ReadOptions& options) {
  auto r = std::make_unique<CsvReader>(std::move(src), options);
  TRY_STATUS(r->open());
  return std::unique_ptr<TableReader>(std::move(r));
}

}  // namespace dangan::transfer::detail
