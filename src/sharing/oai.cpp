#include "sharing/oai.h"

#include <pugixml.hpp>

#include "catalogue/dublin_core.h"

#include <set>
#include <sstream>

namespace dangan::sharing {

using json = nlohmann::json;

namespace {

constexpr const char* kOaiNs = "http://www.openarchives.org/OAI/2.0/";
constexpr const char* kDcNs = "http://purl.org/dc/elements/1.1/";
constexpr const char* kOaiDcNs = "http://www.openarchives.org/OAI/2.0/oai_dc/";
constexpr const char* kOaiDcSchema = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd";

struct OaiError {
  std::string code, message;
};

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out.push_back(d[c >> 4]), out.push_back(d[c & 15]);
  return out;
}

std::optional<std::string> unhex(const std::string& s) {
  if (s.size() % 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += 2) {
    auto v = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = v(s[i]), lo = v(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

// OAI datestamps: YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ → bounds on our fixed-width times.
std::optional<std::string> bound(const std::string& s, bool upper) {
  auto digits = [&](std::size_t at, std::size_t n) {
    for (std::size_t i = at; i < at + n; ++i)
      if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    return true;
  };
  if (s.size() == 10 && digits(0, 4) && s[4] == '-' && digits(5, 2) && s[7] == '-' && digits(8, 2))
    return s + (upper ? "T23:59:59.999999Z" : "T00:00:00.000000Z");
  if (s.size() == 20 && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' &&
      digits(11, 2) && digits(14, 2) && digits(17, 2) && bound(s.substr(0, 10), false))
    return s.substr(0, 19) + (upper ? ".999999Z" : ".000000Z");
  return std::nullopt;
}

std::string datestamp(const std::string& t) { return t.substr(0, 19) + "Z"; }

class Doc {
 public:
  Doc(const std::string& now) {
    auto decl = doc_.append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "UTF-8";
    root_ = doc_.append_child("OAI-PMH");
    root_.append_attribute("xmlns") = kOaiNs;
    root_.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
    root_.append_attribute("xsi:schemaLocation") =
        "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd";
    root_.append_child("responseDate").text() = datestamp(now).c_str();
  }
  pugi::xml_node request(const std::string& base_url) {
    auto r = root_.append_child("request");
    r.text() = base_url.c_str();
    return r;
  }
  pugi::xml_node root() { return root_; }
  std::string str() {
    std::ostringstream out;
    doc_.save(out, "", pugi::format_raw);
    return out.str();
  }

 private:
  pugi::xml_document doc_;
  pugi::xml_node root_;
};

void text(pugi::xml_node parent, const char* name, const std::string& value) {
  parent.append_child(name).text() = value.c_str();
}

std::string identifier(const Config& c, std::int64_t id) {
  return "oai:" + c.oai_repository_id + ":record/" + std::to_string(id);
}

std::optional<std::int64_t> parse_identifier(const Config& c, const std::string& s) {
  std::string prefix = "oai:" + c.oai_repository_id + ":record/";
  if (s.rfind(prefix, 0) != 0) return std::nullopt;
  std::string n = s.substr(prefix.size());
  if (n.empty() || n.size() > 18 || n.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(n);
}

std::vector<std::string> set_specs(const json& rec) {
  std::vector<std::string> out{"fonds:" + rec["fonds"]["code"].get<std::string>()};
  std::string spec = "category";
  for (auto& code : rec["category"]["path_codes"]) {
    spec += ":" + code.get<std::string>();
    out.push_back(spec);
  }
  return out;
}

void header(pugi::xml_node parent, const Config& c, const json& rec) {
  auto h = parent.append_child("header");
  if (rec["deleted"].get<bool>()) h.append_attribute("status") = "deleted";
  text(h, "identifier", identifier(c, rec["id"]));
  text(h, "datestamp", datestamp(rec["updated_at"]));
  for (auto& s : set_specs(rec)) text(h, "setSpec", s);
}

// Unqualified Dublin Core for one record.
void dublin_core(pugi::xml_node parent, const json& rec) {
  auto dc = parent.append_child("oai_dc:dc");
  dc.append_attribute("xmlns:oai_dc") = kOaiDcNs;
  dc.append_attribute("xmlns:dc") = kDcNs;
  dc.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
  dc.append_attribute("xsi:schemaLocation") = (std::string(kOaiDcNs) + " " + kOaiDcSchema).c_str();
  for (const auto& [name, value] : catalogue::dublin_core(rec)) text(dc, ("dc:" + name).c_str(), value);
}

}  // namespace

std::string OaiProvider::handle(const std::multimap<std::string, std::string>& args,
                                const std::string& base_url) {
  Doc doc(format_time(clock_.now()));
  auto fail_with = [&](const OaiError& e, bool echo_args) {
    auto req = doc.request(base_url);
    if (echo_args)
      for (auto& [k, v] : args) req.append_attribute(k.c_str()) = v.c_str();
    auto err = doc.root().append_child("error");
    err.append_attribute("code") = e.code.c_str();
    err.text() = e.message.c_str();
    return doc.str();
  };
  std::set<std::string> seen;
  for (auto& [k, _] : args)
    if (!seen.insert(k).second) return fail_with({"badArgument", "argument repeated: " + k}, false);
  auto arg = [&](const std::string& k) -> std::optional<std::string> {
    auto it = args.find(k);
    if (it == args.end()) return std::nullopt;
    return it->second;
  };
  auto verb = arg("verb");
  static const std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>> verbs = {
      // verb → {required, optional}
      {"Identify", {{}, {}}},
      {"ListMetadataFormats", {{}, {"identifier"}}},
      {"ListSets", {{}, {"resumptionToken"}}},
      {"ListIdentifiers", {{"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}}},
      {"ListRecords", {{"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}}},
      {"GetRecord", {{"identifier", "metadataPrefix"}, {}}},
  };
  if (!verb) return fail_with({"badVerb", "the verb argument is missing"}, false);
  auto spec = verbs.find(*verb);
  if (spec == verbs.end()) return fail_with({"badVerb", "unknown verb " + *verb}, false);
  auto [required, optional] = spec->second;
  for (auto& [k, _] : args)
    if (k != "verb" && !required.count(k) && !optional.count(k))
      return fail_with({"badArgument", "argument not allowed with " + *verb + ": " + k}, false);
  bool resuming = arg("resumptionToken").has_value();
  if (resuming && args.size() != 2)
    return fail_with({"badArgument", "resumptionToken is exclusive"}, false);
  if (!resuming)
    for (auto& k : required)
      if (!arg(k)) return fail_with({"badArgument", "missing argument " + k}, false);

  Actor system = system_actor();
  if (*verb == "Identify") {
    auto req = doc.request(base_url);
    req.append_attribute("verb") = "Identify";
    auto id = doc.root().append_child("Identify");
    text(id, "repositoryName", config_.oai_repository_name);
    text(id, "baseURL", base_url);
    text(id, "protocolVersion", "2.0");
    text(id, "adminEmail", config_.oai_admin_email);
    catalogue::HarvestQuery q;
    q.limit = 1;
    auto first = catalogue_.harvest(q);
    text(id, "earliestDatestamp",
         first && !(*first)["items"].empty() ? datestamp((*first)["items"][0]["updated_at"])
                                             : datestamp(format_time(clock_.now())));
    text(id, "deletedRecord", "transient");
    text(id, "granularity", "YYYY-MM-DDThh:mm:ssZ");
    return doc.str();
  }
  if (*verb == "ListMetadataFormats") {
    if (auto ident = arg("identifier")) {
      auto rid = parse_identifier(config_, *ident);
      catalogue::HarvestQuery q;
      q.id = rid.value_or(-1);
      auto found = catalogue_.harvest(q);
      if (!rid || !found || (*found)["items"].empty())
        return fail_with({"idDoesNotExist", "no such item: " + *ident}, true);
    }
    auto req = doc.request(base_url);
    for (auto& [k, v] : args) req.append_attribute(k.c_str()) = v.c_str();
    auto f = doc.root().append_child("ListMetadataFormats").append_child("metadataFormat");
    text(f, "metadataPrefix", "oai_dc");
    text(f, "schema", kOaiDcSchema);
    text(f, "metadataNamespace", kOaiDcNs);
    return doc.str();
  }
  if (*verb == "ListSets") {
    if (resuming) return fail_with({"badResumptionToken", "ListSets is not paged"}, true);
    auto fonds = catalogue_.list_fonds(system);
    auto cats = catalogue_.list_categories(system);
    if (!fonds || !cats) return fail_with({"badArgument", "the catalogue is unavailable"}, false);
    auto req = doc.request(base_url);
    req.append_attribute("verb") = "ListSets";
    auto list = doc.root().append_child("ListSets");
    for (auto& f : (*fonds)["items"]) {
      auto s = list.append_child("set");
      text(s, "setSpec", "fonds:" + f["code"].get<std::string>());
      text(s, "setName", f["name"]);
    }
    // Categories come depth-first with depth: the spec is the chain of codes.
    std::vector<std::string> chain;
    for (auto& c : (*cats)["items"]) {
      std::size_t depth = c["depth"].get<std::size_t>();
      chain.resize(depth);
      chain.push_back(c["code"]);
      std::string spec = "category";
      for (auto& code : chain) spec += ":" + code;
      auto s = list.append_child("set");
      text(s, "setSpec", spec);
      text(s, "setName", c["name"]);
    }
    return doc.str();
  }

  // GetRecord, ListIdentifiers, ListRecords.
  catalogue::HarvestQuery q;
  std::string prefix, set_arg, from_arg, until_arg;
  if (*verb == "GetRecord") {
    prefix = *arg("metadataPrefix");
    auto rid = parse_identifier(config_, *arg("identifier"));
    if (!rid) return fail_with({"idDoesNotExist", "no such item: " + *arg("identifier")}, true);
    q.id = *rid;
  } else if (resuming) {
    auto raw = unhex(*arg("resumptionToken"));
    json t = raw ? json::parse(*raw, nullptr, false) : json();
    if (!t.is_object() || !t.contains("p") || !t.contains("u") || !t.contains("i"))
      return fail_with({"badResumptionToken", "this resumption token is not valid"}, true);
    prefix = t["p"];
    set_arg = t.value("s", "");
    from_arg = t.value("f", "");
    until_arg = t.value("t", "");
    q.after = std::pair{t["u"].get<std::string>(), t["i"].get<std::int64_t>()};
  } else {
    prefix = *arg("metadataPrefix");
    set_arg = arg("set").value_or("");
    from_arg = arg("from").value_or("");
    until_arg = arg("until").value_or("");
  }
  if (prefix != "oai_dc")
    return fail_with({"cannotDisseminateFormat", "only oai_dc is available"}, true);
  if (!from_arg.empty()) {
    auto b = bound(from_arg, false);
    if (!b) return fail_with({"badArgument", "from must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ"}, false);
    q.from = *b;
  }
  if (!until_arg.empty()) {
    auto b = bound(until_arg, true);
    if (!b) return fail_with({"badArgument", "until must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ"}, false);
    if (!from_arg.empty() && from_arg.size() != until_arg.size())
      return fail_with({"badArgument", "from and until must have the same granularity"}, false);
    q.until = *b;
  }
  if (!set_arg.empty()) {
    if (set_arg.rfind("fonds:", 0) == 0) {
      auto fonds = catalogue_.list_fonds(system);
      if (fonds)
        for (auto& f : (*fonds)["items"])
          if (f["code"] == set_arg.substr(6)) q.fonds_id = f["id"].get<std::int64_t>();
      if (!q.fonds_id) return fail_with({"noRecordsMatch", "no such set: " + set_arg}, true);
    } else if (set_arg.rfind("category:", 0) == 0) {
      auto cats = catalogue_.list_categories(system);
      std::vector<std::string> chain;
      if (cats)
        for (auto& c : (*cats)["items"]) {
          chain.resize(c["depth"].get<std::size_t>());
          chain.push_back(c["code"]);
          std::string spec = "category";
          for (auto& code : chain) spec += ":" + code;
          if (spec == set_arg) q.category_id = c["id"].get<std::int64_t>();
        }
      if (!q.category_id) return fail_with({"noRecordsMatch", "no such set: " + set_arg}, true);
    } else {
      return fail_with({"noRecordsMatch", "no such set: " + set_arg}, true);
    }
  }
  q.limit = kPageSize;
  auto page = catalogue_.harvest(q);
  if (!page) return fail_with({"badArgument", "the catalogue is unavailable"}, false);
  const json& items = (*page)["items"];
  if (*verb == "GetRecord" && items.empty())
    return fail_with({"idDoesNotExist", "no such item: " + *arg("identifier")}, true);
  if (items.empty()) return fail_with({"noRecordsMatch", "no records match"}, true);

  auto req = doc.request(base_url);
  for (auto& [k, v] : args) req.append_attribute(k.c_str()) = v.c_str();
  auto list = doc.root().append_child(verb->c_str());
  for (auto& rec : items) {
    if (*verb == "ListIdentifiers") {
      header(list, config_, rec);
      continue;
    }
    auto r = list.append_child("record");
    header(r, config_, rec);
    if (!rec["deleted"].get<bool>()) dublin_core(r.append_child("metadata"), rec);
  }
  if (*verb != "GetRecord" && ((*page)["more"].get<bool>() || resuming)) {
    auto token = list.append_child("resumptionToken");
    if ((*page)["more"].get<bool>()) {
      const json& last = items.back();
      json t = {{"p", prefix}, {"s", set_arg}, {"f", from_arg}, {"t", until_arg},
                {"u", last["updated_at"]}, {"i", last["id"]}};
      token.text() = hex(t.dump()).c_str();
    }
    // An empty token on the last page tells the harvester the list is complete.
  }
  return doc.str();
}

}  // namespace dangan::sharing
