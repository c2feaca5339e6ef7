// render.cpp — query trees into FTS5 and tsquery text; tsvector text of prepared terms
// is in index.cpp.
#include "search/search_internal.h"

namespace dangan::search::detail {

using analysis::QueryNode;

std::string fts5_phrase(const std::string& term) {
  std::string out = "\"";
  for (char c : term) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

namespace {

void render_fts5_into(const QueryNode& n, int group, std::vector<int>* groups, std::string& out) {
  switch (n.kind) {
    case QueryNode::Kind::phrase: {
      if (groups) groups->push_back(group);
      std::string joined;
      for (const auto& t : n.terms) {
        if (!joined.empty()) joined.push_back(' ');
        joined += t;
      }
      if (n.code) out += "{refcode} : ";
      out += fts5_phrase(joined);
      if (n.prefix) out += " *";
      return;
    }
    case QueryNode::Kind::all:
    case QueryNode::Kind::any: {
      const char* op = n.kind == QueryNode::Kind::all ? " AND " : " OR ";
      out.push_back('(');
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        if (i) out += op;
        render_fts5_into(n.children[i], group, groups, out);
      }
      out.push_back(')');
      return;
    }
  }
}

std::string quote_lexeme(const std::string& term) {
  std::string out = "'";
  for (char c : term) {
    if (c == '\'' || c == '\\') out.push_back(c);
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

void render_tsquery_into(const QueryNode& n, const std::string& weights, std::string& out) {
  switch (n.kind) {
    case QueryNode::Kind::phrase: {
      if (n.terms.size() > 1) out.push_back('(');
      for (std::size_t i = 0; i < n.terms.size(); ++i) {
        if (i) out += " <-> ";
        bool last = i + 1 == n.terms.size();
        // A whole code sits in the reference-code column only (weight A).
        if (weights == kTsEntry)
          out += tsquery_term(n.terms[i], last && n.prefix, weights);
        else
          out += n.code ? quote_lexeme(n.terms[i]) + (n.prefix ? ":*A" : ":A")
                        : tsquery_term(n.terms[i], last && n.prefix, weights);
      }
      if (n.terms.size() > 1) out.push_back(')');
      return;
    }
    case QueryNode::Kind::all:
    case QueryNode::Kind::any: {
      const char* op = n.kind == QueryNode::Kind::all ? " & " : " | ";
      out.push_back('(');
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        if (i) out += op;
        render_tsquery_into(n.children[i], weights, out);
      }
      out.push_back(')');
      return;
    }
  }
}

}  // namespace

std::string render_fts5(const QueryNode& node, int group, std::vector<int>* phrase_groups) {
  std::string out;
  render_fts5_into(node, group, phrase_groups, out);
  return out;
}

std::string fts5_entry_only(const std::string& expr) {
  // meta: its filter terms cannot match a query term, its year (an entry field) can.
  return std::string(kEntryColumns) + " : (" + expr + ")";
}

std::string tsquery_term(const std::string& term, bool prefix, const std::string& weights) {
  if (weights == kTsEntry) {
    std::string out = quote_lexeme(kTsEntryMark + term);
    if (prefix) out += ":*";
    return out;
  }
  std::string out = quote_lexeme(term);
  if (prefix || !weights.empty()) out.push_back(':');
  if (prefix) out.push_back('*');
  out += weights;
  return out;
}

std::string render_tsquery(const QueryNode& node, const std::string& weights) {
  std::string out;
  render_tsquery_into(node, weights, out);
  return out;
}

}  // namespace dangan::search::detail
