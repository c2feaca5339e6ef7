// Reference-code templates: checking, rendering, and taking the next number of a series.
#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

#include "catalogue/internal.h"

namespace dangan::catalogue {

namespace {

const char* const kPlaceholders[] = {"unit",      "fonds", "category", "category_path", "year",
                                     "retention", "cabinet", "box"};

struct Token {
  bool literal = true;
  std::string text;  // literal text, or placeholder name
  int width = 0;     // {seq:N}
};

Result<std::vector<Token>> parse(const std::string& tmpl) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < tmpl.size()) {
    auto open = tmpl.find('{', i);
    if (open == std::string::npos) {
      out.push_back({true, tmpl.substr(i), 0});
      break;
    }
    if (open > i) out.push_back({true, tmpl.substr(i, open - i), 0});
    auto close = tmpl.find('}', open);
    if (close == std::string::npos) return invalid("template", "a '{' has no matching '}'");
    std::string name = tmpl.substr(open + 1, close - open - 1);
    Token t{false, name, 0};
    if (name.rfind("seq", 0) == 0) {
      t.text = "seq";
      if (name.size() > 3) {
        // {seq:4} or {seq:04}: the number is zero-padded to that many digits.
        std::string digits = name.size() > 4 && name[3] == ':' ? name.substr(4) : "";
        bool ok = !digits.empty() && digits.size() <= 2 &&
                  std::all_of(digits.begin(), digits.end(),
                              [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
        int width = ok ? std::stoi(digits) : 0;
        if (width < 1 || width > 9)
          return invalid("template", "write the sequence as {seq} or {seq:N} with N from 1 to 9");
        t.width = width;
      }
    } else {
      bool known = false;
      for (auto* p : kPlaceholders) known = known || name == p;
      if (!known)
        return invalid("template",
                       "unknown placeholder {" + name +
                           "}; use {unit}, {fonds}, {category}, {category_path}, {year}, "
                           "{retention}, {cabinet}, {box} and one {seq} or {seq:N}");
    }
    out.push_back(t);
    i = close + 1;
  }
  return out;
}

const std::string& part(const CodeParts& p, const std::string& name) {
  if (name == "unit") return p.unit;
  if (name == "fonds") return p.fonds;
  if (name == "category") return p.category;
  if (name == "category_path") return p.category_path;
  if (name == "year") return p.year;
  if (name == "retention") return p.retention;
  if (name == "cabinet") return p.cabinet;
  return p.box;
}

std::string render(const std::string& tmpl, const CodeParts& parts,
                   std::optional<std::int64_t> seq) {
  auto tokens = parse(tmpl);
  if (!tokens) return tmpl;
  std::string out;
  for (auto& t : *tokens) {
    if (t.literal) {
      out += t.text;
    } else if (t.text == "seq") {
      if (!seq) {
        out += "{seq}";
      } else {
        std::string n = std::to_string(*seq);
        if (static_cast<int>(n.size()) < t.width) n.insert(0, t.width - n.size(), '0');
        out += n;
      }
    } else {
      out += part(parts, t.text);
    }
  }
  return out;
}

}  // namespace

Status check_template(const std::string& tmpl) {
  if (tmpl.empty() || tmpl.size() > 200)
    return invalid("template", "must have 1 to 200 characters");
  auto tokens = TRY(parse(tmpl));
  int seqs = 0;
  for (auto& t : tokens) seqs += !t.literal && t.text == "seq";
  if (seqs != 1) return invalid("template", "must contain exactly one {seq} or {seq:N}");
  return {};
}

std::vector<std::string> template_placeholders(const std::string& tmpl) {
  std::vector<std::string> out;
  if (auto tokens = parse(tmpl))
    for (auto& t : *tokens)
      if (!t.literal) out.push_back(t.text);
  return out;
}

std::string render_series(const std::string& tmpl, const CodeParts& parts) {
  return render(tmpl, parts, std::nullopt);
}

std::string render_code(const std::string& tmpl, const CodeParts& parts, std::int64_t seq) {
  return render(tmpl, parts, seq);
}

std::optional<std::int64_t> seq_in_series(const std::string& series, const std::string& code) {
  auto at = series.find("{seq}");
  if (at == std::string::npos) return std::nullopt;
  std::string head = series.substr(0, at), tail = series.substr(at + 5);
  if (code.size() <= head.size() + tail.size() || code.compare(0, head.size(), head) != 0 ||
      code.compare(code.size() - tail.size(), tail.size(), tail) != 0)
    return std::nullopt;
  std::string digits = code.substr(head.size(), code.size() - head.size() - tail.size());
  if (digits.empty() || digits.size() > 15) return std::nullopt;
  for (char c : digits)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return std::stoll(digits);
}

namespace detail {

Result<Numbered> take_number(store::Tx& tx, const Scheme& scheme, const CodeParts& parts,
                             const std::string& now) {
  Numbered n;
  n.series = render_series(scheme.tmpl, parts);
  if (scheme.reuse_numbers) {
    // The lowest number a closed record gave back. A concurrent creator may take the
    // same row first: the guarded UPDATE then changes nothing and we try the next one.
    // The claim holds 0 until the caller knows its record id (attach_reused_number).
    for (int attempt = 0; attempt < 8; ++attempt) {
      auto free = TRY(tx.maybe_one(
          "SELECT id, seq FROM released_numbers WHERE scheme_id = ? AND series = ? AND "
          "reused_by_record IS NULL ORDER BY seq, id LIMIT 1",
          {scheme.id, n.series}));
      if (!free) break;
      auto taken = TRY(tx.exec(
          "UPDATE released_numbers SET reused_by_record = ?, reused_at = ? WHERE id = ? AND "
          "reused_by_record IS NULL",
          {std::int64_t{0}, now, free->i64(0)}));
      if (taken == 1) {
        n.seq = free->i64(1);
        n.released_id = free->i64(0);
        n.code = render_code(scheme.tmpl, parts, n.seq);
        return n;
      }
    }
  }
  // One statement, atomic on both backends: the row lock (PostgreSQL) or the single
  // writer (SQLite) orders concurrent creators of the same series.
  auto row = TRY(tx.one(
      "INSERT INTO scheme_counters (scheme_id, series, last_seq) VALUES (?, ?, 1) "
      "ON CONFLICT (scheme_id, series) DO UPDATE SET last_seq = scheme_counters.last_seq + 1 "
      "RETURNING last_seq",
      {scheme.id, n.series}, "counter"));
  n.seq = row.i64(0);
  n.code = render_code(scheme.tmpl, parts, n.seq);
  return n;
}

Status attach_reused_number(store::Tx& tx, const Numbered& n, std::int64_t record_id) {
  if (!n.released_id) return {};
  TRY(tx.exec("UPDATE released_numbers SET reused_by_record = ? WHERE id = ?",
              {record_id, *n.released_id}));
  return {};
}

Status claim_number(store::Tx& tx, const Scheme& scheme, const std::string& series,
                    std::int64_t seq) {
  // An imported code inside a series moves the counter past it, so the series never
  // generates that number again.
  TRY(tx.exec(
      "INSERT INTO scheme_counters (scheme_id, series, last_seq) VALUES (?, ?, ?) "
      "ON CONFLICT (scheme_id, series) DO UPDATE SET last_seq = "
      "CASE WHEN scheme_counters.last_seq < excluded.last_seq THEN excluded.last_seq "
      "ELSE scheme_counters.last_seq END",
      {scheme.id, series, seq}));
  return {};
}

Status number_many(store::Tx& tx, std::vector<SeriesWishes>& work) {
  if (work.empty()) return {};
  // Always in the same order, so two creators locking several counters in one statement
  // take them in the same order.
  std::sort(work.begin(), work.end(), [](const SeriesWishes& a, const SeriesWishes& b) {
    return std::tie(a.scheme_id, a.series) < std::tie(b.scheme_id, b.series);
  });
  store::Params values;
  values.reserve(work.size() * 3);
  for (auto& w : work) values.insert(values.end(), {w.scheme_id, w.series, std::int64_t{0}});
  // A no-op update locks each existing counter until commit, as take_number's increment
  // does (PostgreSQL: the row lock; SQLite: the one writer); a missing one is created at 0
  // and is ours until commit.
  auto rows = TRY(store::insert_rows(
      tx, "INSERT INTO scheme_counters (scheme_id, series, last_seq)", 3, values,
      "ON CONFLICT (scheme_id, series) DO UPDATE SET last_seq = scheme_counters.last_seq "
      "RETURNING scheme_id, series, last_seq",
      128));
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> last;
  for (auto& r : rows) last[{r.i64(0), r.str(1)}] = r.i64(2);
  values.clear();
  for (auto& w : work) {
    auto it = last.find({w.scheme_id, w.series});
    if (it == last.end()) return fail(ErrorCode::internal, "a series counter was not returned");
    std::int64_t seq = it->second, start = seq;
    w.taken.clear();
    for (auto& wish : w.wishes) {
      if (wish) {
        seq = std::max(seq, *wish);  // claim_number
      } else {
        w.taken.push_back(++seq);  // take_number
      }
    }
    if (seq != start) values.insert(values.end(), {w.scheme_id, w.series, seq});
  }
  if (!values.empty())
    TRY(store::insert_rows(tx, "INSERT INTO scheme_counters (scheme_id, series, last_seq)", 3,
                           values,
                           "ON CONFLICT (scheme_id, series) DO UPDATE SET last_seq = "
                           "excluded.last_seq",
                           128));
  return {};
}

}  // namespace detail

}  // namespace dangan::catalogue
