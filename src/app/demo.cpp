// demo.cpp — a realistic demo data set: two units, one account per staff role, about
// 200 patrons (persons and organisations, Chinese and English names, valid resident ID
// numbers, contacts, tags, relations, history). Deterministic, loaded once.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "app/app.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "core/crypto.h"
#include "patrons/patrons.h"
#include "text/text.h"

namespace dangan::app {

using json = nlohmann::json;

namespace {

const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
                           "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋"};
const char* kGiven[] = {"伟", "芳", "娜",   "秀英", "敏",   "静",   "丽",   "强",   "磊",   "军",
                        "洋", "勇", "艳",   "杰",   "娟",   "涛",   "明",   "超",   "秀兰", "霞",
                        "平", "刚", "桂英", "建国", "晓东", "海燕", "志强", "文博", "思远", "雨桐"};
struct Region {
  const char* name;
  const char* code;  // first six digits of resident ID numbers
  const char* postcode;
  const char* street;
};
const Region kRegions[] = {
    {"北京市朝阳区", "110105", "100020", "建国路"},
    {"北京市海淀区", "110108", "100080", "中关村大街"},
    {"上海市浦东新区", "310115", "200120", "世纪大道"},
    {"广东省广州市天河区", "440106", "510630", "天河路"},
    {"浙江省杭州市西湖区", "330106", "310012", "文三路"},
    {"四川省成都市武侯区", "510107", "610041", "人民南路"},
    {"湖北省武汉市武昌区", "420106", "430061", "中南路"},
    {"江苏省南京市玄武区", "320102", "210018", "中山路"},
};
const char* kEducation[] = {"高中", "大专", "本科", "硕士", "博士"};
const char* kOccupations[] = {"教师",   "工程师", "研究员", "律师", "会计",    "医生",
                              "公务员", "退休",   "学生",   "记者", "企业管理"};
const char* kInterests[] = {"地方史", "家谱",     "城市规划", "电力档案", "老照片",
                            "口述史", "科技档案", "民国报刊", "契约文书", "建筑图纸"};
const char* kTags[] = {"研究者",   "重点用户", "学生",     "家谱查询",
                       "企业客户", "媒体",     "首次来访", "VIP"};
const char* kEnglish[][2] = {{"John", "Smith"},   {"Mary", "Johnson"},  {"David", "Brown"},
                             {"Sarah", "Miller"}, {"Michael", "Davis"}, {"Emma", "Wilson"},
                             {"James", "Taylor"}, {"Olivia", "Clark"}};
const char* kOrganisations[][3] = {
    {"国网杭州供电公司", "能源", "large"},    {"北京大学历史学系", "教育", "medium"},
    {"上海市地方志办公室", "政府", "small"},  {"广州日报社", "媒体", "medium"},
    {"成都建筑设计研究院", "建筑", "medium"}, {"武汉钢铁集团档案馆", "制造", "large"},
    {"南京大学图书馆", "教育", "medium"},     {"浙江省家谱研究会", "社会组织", "micro"},
    {"中国银行北京分行", "金融", "large"},    {"Heritage Research Ltd", "咨询", "small"},
};

std::string resident_id(const char* region, int year, int month, int day, int seq, bool female) {
  char buf[32];
  int s = seq % 100 * 10 + (female ? (seq % 5) * 2 : (seq % 5) * 2 + 1);
  std::snprintf(buf, sizeof buf, "%s%04d%02d%02d%03d", region, year, month, day, s);
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (buf[i] - '0') * kWeights[i];
  return std::string(buf) + "10X98765432"[sum % 11];
}

template <class T, std::size_t N>
const T& pick(std::mt19937& rng, const T (&a)[N]) {
  return a[std::uniform_int_distribution<std::size_t>(0, N - 1)(rng)];
}

}  // namespace

Result<std::string> load_demo(store::Database& db, const Config& config) {
  {
    auto tx = TRY(db.begin(store::TxMode::read));
    auto r = TRY(tx->maybe_one("SELECT id FROM users WHERE username = 'admin'", {}));
    if (r) return std::string();
  }
  std::string password = "demo-" + crypto::random_hex(8);
  std::string now = format_time(system_clock().now());
  Actor sys = system_actor();
  std::int64_t unit_hq, unit_branch;
  {
    auto tx = TRY(db.begin(store::TxMode::write));
    unit_hq = TRY(tx->one("INSERT INTO units (code, name, created_at) VALUES ('HQ', '市档案馆', ?) "
                          "RETURNING id",
                          {now}, "unit"))
                  .i64(0);
    unit_branch = TRY(tx->one("INSERT INTO units (code, name, parent_id, created_at) VALUES "
                              "('B01', '城东分馆', ?, ?) RETURNING id",
                              {unit_hq, now}, "unit"))
                      .i64(0);
    struct Staff {
      const char* name;
      const char* display;
      Role role;
      bool branch;
    };
    const Staff staff[] = {{"admin", "系统管理员", Role::administrator, false},
                           {"manager", "李主管", Role::manager, false},
                           {"archivist", "王档案员", Role::archivist, false},
                           {"agent", "张受理员", Role::agent, false},
                           {"analyst", "陈分析师", Role::analyst, false},
                           {"auditor", "赵审计", Role::auditor, false},
                           {"agent.east", "刘坐席（城东）", Role::agent, true}};
    for (auto& s : staff) {
      auth::NewUser u{s.name,   s.display,   password, s.role, s.branch ? unit_branch : unit_hq,
                      s.branch, std::nullopt};
      auto created = TRY(auth::create_user(*tx, u));
      TRY_STATUS(audit::append(
          *tx, sys, {"user.create", "user", std::to_string(created.id), {}, "demo data"}));
    }
    TRY_STATUS(tx->commit());
  }

  audit::ReadRecorder reads(db);
  patrons::Service service(db, reads);
  std::mt19937 rng(20261125);
  std::vector<std::int64_t> orgs, persons;
  for (auto& o : kOrganisations) {
    json body = {{"type", "organisation"},
                 {"name", o[0]},
                 {"sector", o[1]},
                 {"organisation_size", o[2]},
                 {"region", pick(rng, kRegions).name},
                 {"tags", {"企业客户"}},
                 {"phones", {"010-6" + std::to_string(1000000 + rng() % 8999999)}},
                 {"emails", {"office" + std::to_string(orgs.size() + 1) + "@org.example.cn"}},
                 {"consents", {{"contact", true}, {"processing", true}}}};
    auto r = TRY(service.create(sys, body));
    orgs.push_back(r.patron["id"]);
  }
  for (int i = 0; i < 190; ++i) {
    const Region& region = pick(rng, kRegions);
    bool english = i % 19 == 7;
    bool female = rng() % 2;
    int year = 1940 + static_cast<int>(rng() % 65), month = 1 + static_cast<int>(rng() % 12),
        day = 1 + static_cast<int>(rng() % 28);
    char birth[16];
    std::snprintf(birth, sizeof birth, "%04d-%02d-%02d", year, month, day);
    json body = {
        {"type", "person"},
        {"gender", female ? "female" : "male"},
        {"birth_date", birth},
        {"region", region.name},
        {"postcode", region.postcode},
        {"address",
         std::string(region.name) + region.street + std::to_string(1 + rng() % 300) + "号"},
        {"education", pick(rng, kEducation)},
        {"occupation", pick(rng, kOccupations)},
        {"preferred_channel", i % 3 == 0   ? "email"
                              : i % 3 == 1 ? "phone"
                                           : "counter"},
        {"consents", {{"contact", true}, {"marketing", i % 4 == 0}, {"processing", true}}}};
    std::string mail_name;
    if (english) {
      auto& n = kEnglish[i % 8];
      body["name"] = std::string(n[0]) + " " + n[1];
      body["name_latin"] = body["name"];
      body["preferred_language"] = "en";
      body["id_document"] = {{"type", "passport"},
                             {"number", "E" + std::to_string(10000000 + i * 7919 % 89999999)}};
      mail_name = std::string(n[0]) + "." + n[1];
    } else {
      std::string name = std::string(pick(rng, kSurnames)) + pick(rng, kGiven);
      body["name"] = name;
      // "Zhang Jianguo": surname, a space, then the given name's syllables joined.
      std::string py = text::pinyin(name), latin;
      bool first_word = true, up = true;
      for (char c : py) {
        if (c == ' ') {
          if (first_word) latin.push_back(' '), up = true;
          first_word = false;
          continue;
        }
        latin.push_back(up ? static_cast<char>(std::toupper(c)) : c);
        up = false;
      }
      body["name_latin"] = latin;
      body["preferred_language"] = i % 10 == 3 ? "zh-Hant" : "zh-Hans";
      body["id_document"] = {{"type", "resident_id"},
                             {"number", resident_id(region.code, year, month, day, i, female)}};
      mail_name = latin;
      std::replace(mail_name.begin(), mail_name.end(), ' ', '.');
    }
    body["phones"] = {"1" + std::to_string(3 + rng() % 7) +
                      std::to_string(100000000 + rng() % 899999999)};
    if (i % 3 != 2) {
      for (auto& c : mail_name) c = static_cast<char>(std::tolower(c));
      body["emails"] = {mail_name + std::to_string(i) + "@mail.example.cn"};
    }
    json interests = json::array({pick(rng, kInterests)});
    if (i % 2) interests.push_back(pick(rng, kInterests));
    body["interests"] = interests;
    json tags = json::array({pick(rng, kTags)});
    body["tags"] = tags;
    if (i % 5 == 0) {
      std::size_t o = rng() % orgs.size();
      body["organisation_id"] = orgs[o];
      body["organisation_name"] = kOrganisations[o][0];
      body["organisation_relation"] = i % 2 ? "研究人员" : "联络人";
    }
    if (i % 9 == 4) body["special_needs"] = "需要无障碍通道";
    if (i % 6 == 0) body["unit_id"] = unit_branch;
    auto r = service.create(sys, body);
    if (!r) {
      if (r.error().code == ErrorCode::conflict) continue;  // a generated ID number repeated
      return std::unexpected(r.error());
    }
    std::int64_t id = r->patron["id"];
    persons.push_back(id);
    if (i % 7 == 0)
      TRY(service.update(sys, id, {{"occupation", "研究员"}, {"tags", {"研究者", "重点用户"}}},
                         std::nullopt));
    if (body.contains("organisation_id"))
      TRY(service.add_relation(sys, id,
                               {{"related_id", body["organisation_id"]},
                                {"kind", "member_of"},
                                {"role", body["organisation_relation"]}}));
  }
  // Households and a research group.
  for (std::size_t i = 0; i + 1 < persons.size() && i < 40; i += 8)
    TRY(service.add_relation(
        sys, persons[i],
        {{"related_id", persons[i + 1]}, {"kind", "household"}, {"role", "配偶"}}));
  for (std::size_t i = 2; i < 10 && i < persons.size(); ++i)
    TRY(service.add_relation(sys, persons[1],
                             {{"related_id", persons[i]}, {"kind", "research_group"}}));
  reads.flush();
  std::vector<std::int64_t> customers = orgs;
  customers.insert(customers.end(), persons.begin(), persons.begin() + std::min<std::size_t>(persons.size(), 30));
  TRY_STATUS(load_catalogue_demo(db, config, customers));

  std::filesystem::create_directories("data");
  std::string file = "data/demo-logins.txt";
  std::ofstream out(file, std::ios::trunc);
  out << "password for every demo staff account (admin, manager, archivist, agent, analyst, "
         "auditor, agent.east): "
      << password << "\n";
  out.close();
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace);
  spdlog::info("event=demo_loaded patrons={}", orgs.size() + persons.size());
  return password;
}

}  // namespace dangan::app
