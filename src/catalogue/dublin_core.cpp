#include "catalogue/dublin_core.h"

#include <map>

namespace dangan::catalogue {

using json = nlohmann::json;

namespace {

std::string str(const json& rec, const char* key) {
  auto it = rec.find(key);
  return it != rec.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Any character of the CJK Unified Ideographs blocks (U+3400–U+9FFF, 3 bytes in UTF-8
// from E3 90 80) makes the record Chinese; otherwise it is taken as English.
bool has_han(const std::string& s) {
  for (std::size_t i = 0; i + 2 < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xE3 && static_cast<unsigned char>(s[i + 1]) >= 0x90) return true;
    if (c >= 0xE4 && c <= 0xE9) return true;
  }
  return false;
}

}  // namespace

std::vector<DcElement> dublin_core(const json& rec) {
  std::vector<DcElement> out;
  auto el = [&](const char* name, std::string value) {
    if (!value.empty()) out.emplace_back(name, std::move(value));
  };
  el("title", str(rec, "title"));
  el("creator", str(rec, "creator"));
  if (auto k = rec.find("keywords"); k != rec.end() && k->is_array())
    for (const auto& w : *k)
      if (w.is_string()) el("subject", w.get<std::string>());
  el("description", str(rec, "description"));
  // A range as an ISO 8601 interval, one date alone, or the year.
  std::string from = str(rec, "date_from"), to = str(rec, "date_to");
  if (!from.empty() && !to.empty() && from != to)
    el("date", from + "/" + to);
  else if (!from.empty() || !to.empty())
    el("date", from.empty() ? to : from);
  else if (auto y = rec.find("year"); y != rec.end() && y->is_number_integer())
    el("date", std::to_string(y->get<int>()));
  std::string carrier = str(rec, "carrier");
  static const std::map<std::string, std::string> kTypes = {
      {"paper", "Text"},  {"electronic", "Text"},   {"photo", "StillImage"},
      {"audio", "Sound"}, {"video", "MovingImage"}, {"other", "PhysicalObject"}};
  auto t = kTypes.find(carrier);
  el("type", t != kTypes.end() ? t->second : std::string("Text"));
  el("format", carrier);
  if (auto p = rec.find("pages"); p != rec.end() && p->is_number_integer())
    el("format", std::to_string(p->get<std::int64_t>()) + " pages");
  el("identifier", str(rec, "reference_code"));
  el("language", has_han(str(rec, "title") + str(rec, "description")) ? "zh" : "en");
  auto relation = [&](const char* what, const char* key) {
    auto v = rec.find(key);
    if (v == rec.end() || !v->is_object()) return;
    std::string text = std::string(what) + " " + v->value("code", "");
    if (!v->value("name", "").empty()) text += " " + v->value("name", "");
    el("relation", text);
  };
  relation("fonds", "fonds");
  relation("category", "category");
  el("rights", "access: " + str(rec, "access_level"));
  if (auto r = rec.find("rights"); r != rec.end() && r->is_object()) {
    for (const char* k : {"holder", "licence", "note"})
      if (auto f = r->find(k); f != r->end() && f->is_string() && !f->get<std::string>().empty())
        el("rights", std::string(k) + ": " + f->get<std::string>());
    if (auto f = r->find("reproduction_allowed"); f != r->end() && f->is_boolean())
      el("rights", std::string("reproduction allowed: ") + (f->get<bool>() ? "yes" : "no"));
  }
  return out;
}

}  // namespace dangan::catalogue
