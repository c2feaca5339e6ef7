// JSON reading: an array of objects, one object at a time, or NDJSON, one line at a time.
// The array is not parsed whole: a small scanner finds where each element ends and only
// that element goes through the JSON parser.
#include <algorithm>
#include <unordered_map>

#include "transfer/tables_internal.h"

namespace dangan::transfer::detail {

namespace {

constexpr std::size_t kChunk = 1 << 16;
constexpr std::size_t kMaxObjectBytes = 16u << 20;

bool is_ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class JsonReader : public TableReader {
 public:
  JsonReader(std::unique_ptr<ByteSource> src, bool ndjson)
      : src_(std::move(src)), ndjson_(ndjson) {}

  Status open() {
    if (TRY(peek(0)) == 0xEF && TRY(peek(1)) == 0xBB && TRY(peek(2)) == 0xBF) pos_ += 3;
    int c = TRY(skip_ws());
    if (c == '[') {
      array_ = true;
      ++pos_;
    } else if (c == '{' || c < 0) {
      array_ = false;  // objects one a line (also when called "json")
    } else {
      return invalid("file", ndjson_ ? "expected one JSON object per line"
                                     : "expected a JSON array of objects ([{…}, {…}])");
    }
    return {};
  }

  Result<bool> next(Row& row) override {
    for (;;) {
      std::string text;
      if (array_) {
        if (done_) return false;
        int c = TRY(skip_ws());
        if (!first_) {
          if (c == ']') {
            done_ = true;
            return false;
          }
          if (c != ',')
            return invalid("file",
                           "after element " + std::to_string(element_) + ": expected ',' or ']'");
          ++pos_;
          c = TRY(skip_ws());
        } else if (c == ']') {
          done_ = true;
          return false;
        }
        first_ = false;
        ++element_;
        if (c < 0)
          return invalid(
              "file", "the array ends without ']' after element " + std::to_string(element_ - 1));
        if (c != '{')
          return invalid("file",
                         "row " + std::to_string(element_) + ": each element must be an object");
        TRY_STATUS(read_object(text));
        row.number = element_;
      } else {
        if (!TRY(read_line(text))) return false;
        row.number = line_;
        auto b = text.find_first_not_of(" \t\r");
        if (b == std::string::npos) continue;
      }
      // The keys in the order the file has them (nlohmann::json keeps objects sorted).
      keys_.clear();
      nlohmann::json obj;
      try {
        obj = nlohmann::json::parse(
            text, [this](int depth, nlohmann::json::parse_event_t event, nlohmann::json& v) {
              if (depth == 1 && event == nlohmann::json::parse_event_t::key)
                keys_.push_back(v.get<std::string>());
              return true;
            });
      } catch (const nlohmann::json::parse_error& e) {
        std::string what = e.what();
        auto colon = what.find("syntax error");
        return invalid("file", "row " + std::to_string(row.number) + ": not valid JSON (" +
                                   (colon == std::string::npos ? what : what.substr(colon)) + ")");
      }
      if (!obj.is_object())
        return invalid("file",
                       "row " + std::to_string(row.number) + ": each row must be a JSON object");
      row.cells.assign(columns_.size(), nullptr);
      for (auto& key : keys_) {
        auto found = obj.find(key);
        if (found == obj.end()) continue;
        auto it = index_.find(key);
        std::size_t i;
        if (it == index_.end()) {
          i = columns_.size();
          columns_.push_back(key);
          index_.emplace(key, i);
          row.cells.emplace_back(nullptr);
        } else {
          i = it->second;
        }
        auto& value = *found;
        if (value.is_string() && value.get_ref<const std::string&>().empty())
          row.cells[i] = nullptr;
        else
          row.cells[i] = std::move(value);
      }
      if (all_empty(row.cells)) continue;
      return true;
    }
  }

  double progress() const override {
    auto size = src_->size();
    if (size == 0) return 1.0;
    return std::min(1.0, static_cast<double>(src_->consumed()) / static_cast<double>(size));
  }

 private:
  // Appends a chunk, first dropping what lies before pos_ (already handed out).
  Result<bool> fill() {
    if (at_end_) return false;
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    std::size_t old = buf_.size();
    buf_.resize(old + kChunk);
    std::size_t got = TRY(src_->read(buf_.data() + old, kChunk));
    buf_.resize(old + got);
    if (got == 0) at_end_ = true;
    return got > 0;
  }

  // The byte `k` places after pos_; -1 past the end.
  Result<int> peek(std::size_t k) {
    while (pos_ + k >= buf_.size())
      if (!TRY(fill())) return -1;
    return static_cast<unsigned char>(buf_[pos_ + k]);
  }

  Result<int> skip_ws() {
    for (;;) {
      int c = TRY(peek(0));
      if (c < 0 || !is_ws(c)) return c;
      if (c == '\n') ++line_;
      ++pos_;
    }
  }

  // From the '{' at pos_ to its matching '}', strings and escapes respected.
  Status read_object(std::string& out) {
    int depth = 0;
    bool in_string = false, escape = false;
    std::size_t k = 0;
    for (;; ++k) {
      int c = TRY(peek(k));
      if (c < 0)
        return invalid("file", "row " + std::to_string(element_) + ": the object is never closed");
      if (k > kMaxObjectBytes)
        return invalid("file", "row " + std::to_string(element_) + " is longer than 16 MB");
      if (in_string) {
        if (escape)
          escape = false;
        else if (c == '\\')
          escape = true;
        else if (c == '"')
          in_string = false;
        continue;
      }
      if (c == '"') in_string = true;
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) break;
    }
    out.assign(buf_, pos_, k + 1);
    pos_ += k + 1;
    return {};
  }

  Result<bool> read_line(std::string& out) {
    out.clear();
    if (at_end_ && pos_ >= buf_.size()) return false;
    for (;;) {
      auto nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        out.append(buf_, pos_, nl - pos_);
        pos_ = nl + 1;
        ++line_;
        return true;
      }
      out.append(buf_, pos_, std::string::npos);
      pos_ = buf_.size();
      if (out.size() > kMaxObjectBytes)
        return invalid("file", "line " + std::to_string(line_ + 1) + " is longer than 16 MB");
      if (!TRY(fill())) {
        if (out.empty()) return false;
        ++line_;
        return true;
      }
    }
  }

  std::unique_ptr<ByteSource> src_;
  bool ndjson_;
  bool array_ = false, first_ = true, done_ = false, at_end_ = false;
  std::string buf_;
  std::size_t pos_ = 0;
  std::int64_t element_ = 0, line_ = 0;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::string> keys_;
};

}  // namespace

Result<std::unique_ptr<TableReader>> open_json_reader(std::unique_ptr<ByteSource> src,
                                                      bool ndjson) {
  auto r = std::make_unique<JsonReader>(std::move(src), ndjson);
  TRY_STATUS(r->open());
  return std::unique_ptr<TableReader>(std::move(r));
}

}  // namespace dangan::transfer::detail
