// gen_patrons.cpp — fills a migrated dangan database with N realistic patrons, fast.
//
//   bench_gen_patrons --database URL --count N [--password PW] [--seed S]
//
// Writes through the store API (store::open, Tx::exec) with multi-row INSERTs in large
// transactions: patrons (search_text and, from schema 2 on, name_key computed exactly as
// the server does, cached per distinct name), their phones and e-mails, tags, and one
// 'patron.created' timeline event each. No audit entries are written per patron (the
// chain is not needed for reads; the benchmark's own requests append to it).
//
// The data: 2% organisations (every 50th id), the rest persons (~3% with English names, ~4% written in
// traditional characters); 32 regions with a 1/rank skew (the top one ~25%, the last
// ~0.8%); 20% of persons belong to an organisation (organisation sizes skewed too);
// valid, unique resident ID numbers (region code + birth date 1940–2004 + sequence +
// check digit), unique mobile numbers 130…189, e-mail for ~60%; tags with prevalences
// from 15% down to 0.1%; units HQ (80%) and B01 (20%).
//
// Also creates the staff accounts the benchmark signs in with: bench.manager (manager)
// and bench.agent (agent), unit HQ, password --password (default below). Refuses to run
// on a database that already has patrons unless --append is given.
//
// Uniqueness contract with bench/wrk/create.lua: generated resident IDs use only the 32
// region codes below and mobile numbers 130–189; the create script uses other region
// codes and 199… numbers, so its creates never collide with generated patrons.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "patrons/fields.h"
#include "store/db.h"
#include "text/text.h"

using namespace dangan;
using json = nlohmann::json;
using store::Value;

namespace {

struct Region {
  const char* name;
  const char* code;
  const char* postcode;
  const char* city;  // for organisation names
};
// Ordered by weight (1/rank).
const Region kRegions[] = {
    {"北京市朝阳区", "110105", "100020", "北京"},
    {"上海市浦东新区", "310115", "200120", "上海"},
    {"广东省广州市天河区", "440106", "510630", "广州"},
    {"广东省深圳市南山区", "440305", "518052", "深圳"},
    {"浙江省杭州市西湖区", "330106", "310012", "杭州"},
    {"北京市海淀区", "110108", "100080", "北京"},
    {"四川省成都市武侯区", "510107", "610041", "成都"},
    {"江苏省南京市玄武区", "320102", "210018", "南京"},
    {"湖北省武汉市武昌区", "420106", "430061", "武汉"},
    {"上海市徐汇区", "310104", "200030", "上海"},
    {"陕西省西安市雁塔区", "610113", "710061", "西安"},
    {"重庆市渝中区", "500103", "400010", "重庆"},
    {"天津市和平区", "120101", "300041", "天津"},
    {"江苏省苏州市姑苏区", "320508", "215000", "苏州"},
    {"湖南省长沙市岳麓区", "430104", "410006", "长沙"},
    {"山东省济南市历下区", "370102", "250014", "济南"},
    {"山东省青岛市市南区", "370202", "266001", "青岛"},
    {"河南省郑州市金水区", "410105", "450003", "郑州"},
    {"北京市东城区", "110101", "100010", "北京"},
    {"北京市西城区", "110102", "100032", "北京"},
    {"上海市黄浦区", "310101", "200001", "上海"},
    {"福建省福州市鼓楼区", "350102", "350001", "福州"},
    {"辽宁省沈阳市和平区", "210102", "110001", "沈阳"},
    {"安徽省合肥市蜀山区", "340104", "230031", "合肥"},
    {"黑龙江省哈尔滨市南岗区", "230103", "150001", "哈尔滨"},
    {"吉林省长春市朝阳区", "220104", "130012", "长春"},
    {"江西省南昌市东湖区", "360102", "330006", "南昌"},
    {"云南省昆明市五华区", "530102", "650032", "昆明"},
    {"贵州省贵阳市南明区", "520102", "550001", "贵阳"},
    {"广西壮族自治区南宁市青秀区", "450103", "530022", "南宁"},
    {"甘肃省兰州市城关区", "620102", "730030", "兰州"},
    {"新疆维吾尔自治区乌鲁木齐市天山区", "650102", "830002", "乌鲁木齐"},
};
constexpr int kRegionCount = sizeof kRegions / sizeof kRegions[0];

const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
                           "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋",
                           "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁",
                           "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
                           "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "欧阳"};
// Traditional forms, for the ~4% of names written that way (folded to simplified in
// search_text, as the server does).
const char* kSurnamesTrad[] = {"陳", "黃", "劉", "張", "楊", "趙", "吳", "鄭", "許", "謝", "馮", "鄧"};
const char* kGivenChars[] = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳",
                             "杰", "娟", "涛", "明", "超", "兰", "霞", "平", "刚", "英", "华", "建",
                             "国", "晓", "东", "海", "燕", "志", "文", "博", "思", "远", "雨", "桐",
                             "子", "涵", "浩", "宇", "欣", "怡", "俊", "嘉", "佳", "琪", "鹏", "辉"};
const char* kGivenTrad[] = {"偉", "麗", "強", "軍", "傑", "濤", "華", "國", "曉", "東", "誌", "嘉"};
const char* kEnglishFirst[] = {"John", "Mary", "David", "Sarah", "Michael", "Emma", "James", "Olivia",
                               "Robert", "Linda", "William", "Anna", "Thomas", "Laura", "Peter", "Julia"};
const char* kEnglishLast[] = {"Smith", "Johnson", "Brown", "Miller", "Davis", "Wilson", "Taylor", "Clark",
                              "Walker", "Hall", "Young", "King", "Wright", "Green", "Baker", "Adams"};
const char* kStreets[] = {"建国路", "中山路", "人民路", "解放路", "文化路", "和平路", "光明街", "长安街",
                          "新华路", "青年路", "朝阳路", "胜利路", "学院路", "滨江路", "科技路", "东风路"};
const char* kEducation[] = {"高中", "大专", "本科", "本科", "本科", "硕士", "硕士", "博士"};
const char* kOccupations[] = {"教师", "工程师", "研究员", "律师", "会计", "医生", "公务员", "退休",
                              "学生", "记者", "企业管理", "编辑", "设计师", "自由职业"};
const char* kInterests[] = {"地方史", "家谱", "城市规划", "电力档案", "老照片", "口述史", "科技档案",
                            "民国报刊", "契约文书", "建筑图纸", "名人档案", "侨批"};
const char* kChannels[] = {"counter", "phone", "email", "web", "chat", "message_board", "im", "letter", "sms"};
const char* kRelations[] = {"员工", "研究人员", "联络人", "负责人", "顾问"};
const char* kSectors[] = {"能源", "教育", "政府", "媒体", "建筑", "制造", "金融", "咨询", "社会组织", "医疗"};
const char* kSizes[] = {"micro", "small", "medium", "large"};
const char* kBrands[] = {"华信", "中科", "金鼎", "恒通", "东方", "新城", "博雅", "天成", "宏远", "长江",
                         "瑞丰", "安泰", "嘉禾", "明德", "鸿运", "万达", "世纪", "锦程", "盛世", "同心",
                         "海天", "北辰", "南星", "泰和", "永安", "启明", "星河", "远景", "汇丰", "广宇",
                         "正大", "国泰", "信达", "光华", "德正", "和信", "润泽", "卓越", "鼎盛", "开元"};
const char* kOrgKinds[] = {"科技有限公司", "建筑设计研究院", "档案馆", "图书馆", "出版社", "日报社",
                           "供电公司", "大学历史学系", "地方志办公室", "家谱研究会", "律师事务所",
                           "会计师事务所", "博物馆", "中学", "医院", "银行支行"};
const char* kOrgKindsEn[] = {"Heritage Research Ltd", "Archive Services Co", "History Consulting"};
// Tags and how often a person has each (independently).
struct Tag {
  const char* name;
  double p;
};
const Tag kTags[] = {{"研究者", 0.15},   {"学生", 0.10},   {"家谱查询", 0.08}, {"首次来访", 0.06},
                     {"重点用户", 0.04}, {"媒体", 0.02},   {"志愿者", 0.01},   {"VIP", 0.005},
                     {"捐赠人", 0.003},  {"口述史受访者", 0.001}};

template <class T, std::size_t N>
constexpr std::size_t count_of(const T (&)[N]) {
  return N;
}

std::string resident_id(const char* region_code, int y, int m, int d, int seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%04d%02d%02d%03d", region_code, y, m, d, seq);
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (buf[i] - '0') * kWeights[i];
  return std::string(buf) + "10X98765432"[sum % 11];
}

// Days since 1940-01-01 → civil date (Howard Hinnant's algorithm via std::chrono).
void civil(int day_index, int& y, int& m, int& d) {
  using namespace std::chrono;
  sys_days base = sys_days{year{1940} / January / 1};
  year_month_day ymd{base + days{day_index}};
  y = int(ymd.year());
  m = int(unsigned(ymd.month()));
  d = int(unsigned(ymd.day()));
}

// Accumulates rows for one table and inserts them with multi-row INSERTs of a fixed
// size (so the statement text repeats and stays in the adapter's statement cache).
class Bulk {
 public:
  Bulk(std::string table, std::vector<std::string> cols, std::size_t rows_per_stmt)
      : table_(std::move(table)), cols_(std::move(cols)), per_(rows_per_stmt) {}

  void add(std::vector<Value> row) {
    for (auto& v : row) params_.push_back(std::move(v));
    ++rows_;
    ++total_;
  }
  // Inserts every full group of rows; with `all`, the remainder too.
  Status flush(store::Tx& tx, bool all) {
    std::size_t ncol = cols_.size();
    std::size_t done = 0;
    while (rows_ - done >= per_ || (all && rows_ > done)) {
      std::size_t n = std::min(per_, rows_ - done);
      store::Params p(std::make_move_iterator(params_.begin() + done * ncol),
                      std::make_move_iterator(params_.begin() + (done + n) * ncol));
      TRY(tx.exec(sql(n), p));
      done += n;
    }
    params_.erase(params_.begin(), params_.begin() + done * ncol);
    rows_ -= done;
    return {};
  }
  std::size_t total() const { return total_; }

 private:
  std::string sql(std::size_t n) {
    auto it = sql_.find(n);
    if (it != sql_.end()) return it->second;
    std::string s = "INSERT INTO " + table_ + " (";
    for (std::size_t i = 0; i < cols_.size(); ++i) s += (i ? ", " : "") + cols_[i];
    s += ") VALUES ";
    std::string one = "(";
    for (std::size_t i = 0; i < cols_.size(); ++i) one += i ? ",?" : "?";
    one += ")";
    for (std::size_t r = 0; r < n; ++r) s += (r ? "," : "") + one;
    return sql_[n] = s;
  }

  std::string table_;
  std::vector<std::string> cols_;
  std::size_t per_;
  std::vector<Value> params_;
  std::size_t rows_ = 0, total_ = 0;
  std::unordered_map<std::size_t, std::string> sql_;
};

std::vector<std::string> kPatronCols = {
    "id", "type", "status", "name", "name_latin", "gender", "birth_date", "id_doc_type",
    "id_doc_number", "region", "postcode", "address", "education", "occupation",
    "organisation_id", "organisation_name", "organisation_relation", "sector",
    "organisation_size", "interests", "preferred_channel", "preferred_language",
    "consent_contact", "consent_contact_at", "consent_processing", "consent_processing_at",
    "consent_marketing", "consent_marketing_at", "unit_id", "search_text", "version",
    "created_at", "updated_at"};

struct Options {
  std::string database;
  long count = 0;
  std::string password = "bench-password-2026";
  unsigned seed = 20261125;
  bool append = false;
  long per_tx = 20000;
};

int usage() {
  std::cerr << "usage: bench_gen_patrons --database URL --count N [--password PW] [--seed S] "
               "[--append] [--per-tx N]\n";
  return 2;
}

Result<std::int64_t> ensure_unit(store::Database& db, const std::string& code, const std::string& name,
                                 const std::string& now) {
  auto tx = TRY(db.begin(store::TxMode::write));
  auto r = TRY(tx->maybe_one("SELECT id FROM units WHERE code = ?", {code}));
  if (r) return r->i64(0);
  auto id = TRY(tx->one("INSERT INTO units (code, name, created_at) VALUES (?, ?, ?) RETURNING id",
                        {code, name, now}, "unit"))
                .i64(0);
  TRY_STATUS(tx->commit());
  return id;
}

Status ensure_user(store::Database& db, const std::string& username, Role role, std::int64_t unit,
                   const std::string& password) {
  auto tx = TRY(db.begin(store::TxMode::write));
  if (TRY(tx->maybe_one("SELECT id FROM users WHERE username = ?", {username}))) return {};
  auth::NewUser u{username, username, password, role, unit, false, std::nullopt};
  auto created = TRY(auth::create_user(*tx, u));
  TRY_STATUS(audit::append(*tx, system_actor(),
                           {"user.create", "user", std::to_string(created.id), {}, "benchmark"}));
  return tx->commit();
}

// Cached text::match_key: names repeat, and folding + pinyin costs ~tens of µs.
class Keys {
 public:
  const std::string& key(const std::string& s) {
    auto it = cache_.find(s);
    if (it != cache_.end()) return it->second;
    ++misses_;
    return cache_.emplace(s, text::match_key(s)).first->second;
  }
  // The same composition as patrons::detail::search_text.
  // patrons::detail::name_key (migration 0002), cached the same way.
  const std::string& name_key(const std::string& name) {
    auto it = name_keys_.find(name);
    if (it != name_keys_.end()) return it->second;
    return name_keys_.emplace(name, patrons::detail::name_key(name)).first->second;
  }
  std::string search_text(const std::string& name, const std::string* latin, const std::string* org) {
    std::string s = key(name);
    if (latin) s += "|" + key(*latin);
    if (org) s += "|" + key(*org);
    return s;
  }
  std::size_t misses() const { return misses_; }

 private:
  std::unordered_map<std::string, std::string> cache_, name_keys_;
  std::size_t misses_ = 0;
};

int run(const Options& o) {
  auto t0 = std::chrono::steady_clock::now();
  store::OpenOptions oo;
  oo.pool_size = 2;
  auto opened = store::open(o.database, oo);
  if (!opened) {
    std::cerr << "cannot open database: " << opened.error().message << "\n";
    return 1;
  }
  auto& db = **opened;
  bool pg = db.backend() == store::Backend::postgres;
  auto die = [](const Error& e) {
    std::cerr << "bench_gen_patrons: " << e.message << (e.field.empty() ? "" : " (" + e.field + ")")
              << "\n";
    return 1;
  };

  std::string now = format_time(system_clock().now());
  auto hq = ensure_unit(db, "HQ", "市档案馆", now);
  if (!hq) return die(hq.error());
  auto b01 = ensure_unit(db, "B01", "城东分馆", now);
  if (!b01) return die(b01.error());
  for (auto [name, role] : {std::pair{"bench.manager", Role::manager}, std::pair{"bench.agent", Role::agent}})
    if (auto s = ensure_user(db, name, role, *hq, o.password); !s) return die(s.error());

  std::int64_t start_id = 1;
  bool has_name_key = false;
  {
    auto tx = db.begin(store::TxMode::read);
    if (!tx) return die(tx.error());
    auto r = (*tx)->one("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM patrons", {}, "count");
    if (!r) return die(r.error());
    if (r->i64(0) > 0 && !o.append) {
      std::cerr << "bench_gen_patrons: the database already has " << r->i64(0)
                << " patrons (use --append to add more)\n";
      return 1;
    }
    start_id = r->i64(1) + 1;
    // name_key (duplicate detection by name within an organisation) exists from schema 2.
    has_name_key = (*tx)->query("SELECT name_key FROM patrons WHERE id = 0", {}).has_value();
  }
  if (has_name_key) kPatronCols.push_back("name_key");

  std::mt19937_64 rng(o.seed);
  auto uni = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  // Region by 1/rank weight.
  std::vector<double> weights;
  for (int i = 0; i < kRegionCount; ++i) weights.push_back(1.0 / (i + 1));
  std::discrete_distribution<int> region_dist(weights.begin(), weights.end());

  // Every 50th patron (ids start, start+50, …) is an organisation, interleaved with the
  // persons as in a registry that grew over time.
  const long n_org = (o.count + 49) / 50;
  std::vector<std::string> org_names(static_cast<std::size_t>(n_org));
  long person_no = 0;

  Keys keys;
  Bulk patrons("patrons", kPatronCols, 200);
  Bulk contacts("patron_contacts",
                {"patron_id", "kind", "value", "normalized", "position", "created_at"}, 500);
  Bulk tags("patron_tags", {"patron_id", "tag"}, 1000);
  Bulk events("events", {"patron_id", "at", "kind", "actor_id", "summary", "detail"}, 500);

  // Creation times spread over the last five years, increasing with the id.
  auto now_tp = system_clock().now();
  auto span = std::chrono::hours(24 * 365 * 5);
  auto created_at = [&](long i) {
    auto t = now_tp - span + std::chrono::duration_cast<std::chrono::microseconds>(
                                 span * (static_cast<double>(i) / static_cast<double>(o.count)));
    return format_time(std::chrono::time_point_cast<TimePoint::duration>(t));
  };

  std::unique_ptr<store::Tx> tx;
  long in_tx = 0, checked = 0;
  auto flush_all = [&](bool commit) -> Status {
    TRY_STATUS(patrons.flush(*tx, commit));
    TRY_STATUS(contacts.flush(*tx, commit));
    TRY_STATUS(tags.flush(*tx, commit));
    TRY_STATUS(events.flush(*tx, commit));
    if (commit) {
      TRY_STATUS(tx->commit());
      tx.reset();
    }
    return {};
  };

  for (long i = 0; i < o.count; ++i) {
    if (!tx) {
      auto t = db.begin(store::TxMode::write);
      if (!t) return die(t.error());
      tx = std::move(*t);
      // A bigger page cache for the index inserts of this connection (SQLite only).
      if (!pg)
        if (auto s = tx->exec_script("PRAGMA cache_size=-1048576"); !s) return die(s.error());
      in_tx = 0;
    }
    std::int64_t id = start_id + i;
    std::string at = created_at(i);
    const Region& region = kRegions[region_dist(rng)];
    std::int64_t unit = chance(0.8) ? *hq : *b01;
    std::string name, latin_s, org_name_s;
    bool has_latin = false, has_org_name = false;
    std::vector<Value> row;
    row.reserve(kPatronCols.size());
    json interests = json::array();
    if (i % 50 == 0) {
      // An organisation: unique "<city><brand><kind>" names.
      const long oi = i / 50;
      const Region& r = kRegions[static_cast<std::size_t>(oi) % kRegionCount];
      std::size_t combo = static_cast<std::size_t>(oi) / kRegionCount;
      if (i % 97 == 13) {
        name = std::string(kEnglishLast[combo % count_of(kEnglishLast)]) + " " +
               kOrgKindsEn[combo % count_of(kOrgKindsEn)] + " " + std::to_string(oi);
      } else {
        name = std::string(r.city) + kBrands[combo % count_of(kBrands)] +
               kOrgKinds[(combo / count_of(kBrands)) % count_of(kOrgKinds)];
        if (combo >= count_of(kBrands) * count_of(kOrgKinds))
          name += "第" + std::to_string(combo / (count_of(kBrands) * count_of(kOrgKinds)) + 1) + "分部";
      }
      org_names[static_cast<std::size_t>(oi)] = name;
      row = {id, "organisation", "active", name, Value(), Value(), Value(), Value(), Value(),
             r.name, r.postcode, std::string(r.name) + kStreets[uni(count_of(kStreets))] +
                                     std::to_string(1 + uni(500)) + "号",
             Value(), Value(), Value(), Value(), Value(), kSectors[uni(count_of(kSectors))],
             kSizes[uni(count_of(kSizes))], "[]", uni(2) ? "email" : "phone", "zh-Hans",
             std::int64_t{1}, at, std::int64_t{1}, at, std::int64_t{0}, Value(), unit,
             keys.search_text(name, nullptr, nullptr), std::int64_t{1}, at, at};
      contacts.add({id, "phone", "010-6" + std::to_string(1000000 + i % 8999999),
                    "0106" + std::to_string(1000000 + i % 8999999), std::int64_t{0}, at});
      contacts.add({id, "email", "office" + std::to_string(id) + "@org.example.cn",
                    "office" + std::to_string(id) + "@org.example.cn", std::int64_t{0}, at});
      tags.add({id, "企业客户"});
    } else {
      long k = person_no++;  // person number: drives the unique ID number and phone
      bool english = chance(0.03);
      bool trad = !english && chance(0.04);
      int seq = static_cast<int>(k % 1000);
      bool female = seq % 2 == 0;
      int y, m, d;
      civil(static_cast<int>((k / 1000) * 37 % 23725), y, m, d);
      char birth[16];
      std::snprintf(birth, sizeof birth, "%04d-%02d-%02d", y, m, d);
      std::string mail_local;
      if (english) {
        name = std::string(kEnglishFirst[uni(count_of(kEnglishFirst))]) + " " +
               kEnglishLast[uni(count_of(kEnglishLast))];
        latin_s = name;
        mail_local = name;
        for (auto& c : mail_local) c = c == ' ' ? '.' : static_cast<char>(std::tolower(c));
      } else {
        name = trad ? kSurnamesTrad[uni(count_of(kSurnamesTrad))] : kSurnames[uni(count_of(kSurnames))];
        auto given = [&] {
          return trad && chance(0.5) ? kGivenTrad[uni(count_of(kGivenTrad))]
                                     : kGivenChars[uni(count_of(kGivenChars))];
        };
        name += given();
        if (chance(0.7)) name += given();
        // Latin name: pinyin of the folded name, capitalised per syllable ("WangXiaoDong").
        const std::string& mk = keys.key(name);  // folded|compact|initials
        std::string folded = mk.substr(0, mk.find('|'));
        std::string py = text::pinyin(folded);
        bool up = true;
        for (char c : py) {
          if (c == ' ') { up = true; continue; }
          latin_s.push_back(up ? static_cast<char>(std::toupper(c)) : c);
          up = false;
        }
        mail_local = mk.substr(mk.find('|') + 1, mk.rfind('|') - mk.find('|') - 1);
      }
      has_latin = true;
      std::int64_t org_id = 0;
      if (chance(0.2)) {
        // Among the organisations registered so far, the older ones (bigger) more often:
        // rank ~ log-uniform, P(rank r) ∝ 1/r.
        const long created = i / 50 + 1;
        double u = std::uniform_real_distribution<double>(0, 1)(rng);
        long o_idx = std::min(created - 1, static_cast<long>(std::exp(u * std::log(double(created)))) - 1);
        org_id = start_id + o_idx * 50;
        org_name_s = org_names[static_cast<std::size_t>(o_idx)];
        has_org_name = true;
      }
      interests.push_back(kInterests[uni(count_of(kInterests))]);
      if (chance(0.4)) interests.push_back(kInterests[uni(count_of(kInterests))]);
      if (interests.size() == 2 && interests[0] == interests[1]) interests.erase(1);
      bool marketing = chance(0.25);
      std::string st = keys.search_text(name, &latin_s, has_org_name ? &org_name_s : nullptr);
      row = {id, "person", "active", name, latin_s, female ? "female" : "male", std::string(birth),
             "resident_id", resident_id(region.code, y, m, d, seq), region.name, region.postcode,
             std::string(region.name) + kStreets[uni(count_of(kStreets))] +
                 std::to_string(1 + uni(300)) + "号" +
                 (chance(0.6) ? std::to_string(1 + uni(30)) + "0" + std::to_string(1 + uni(6)) + "室" : ""),
             kEducation[uni(count_of(kEducation))], kOccupations[uni(count_of(kOccupations))],
             has_org_name ? Value(org_id) : Value(), has_org_name ? Value(org_name_s) : Value(),
             has_org_name ? Value(kRelations[uni(count_of(kRelations))]) : Value(), Value(), Value(),
             interests.dump(), kChannels[uni(count_of(kChannels))],
             english ? "en" : trad ? "zh-Hant" : "zh-Hans", std::int64_t{1}, at, std::int64_t{1}, at,
             std::int64_t{marketing}, marketing ? Value(at) : Value(), unit, st, std::int64_t{1}, at, at};
      if (checked < 200) {
        // Self-check: the same search_text as the server computes from the stored patron.
        json full = {{"name", name}, {"name_latin", latin_s}};
        if (has_org_name) full["organisation_name"] = org_name_s;
        if (patrons::detail::search_text(full) != st) {
          std::cerr << "bench_gen_patrons: search_text differs from the server's for " << name << "\n";
          return 1;
        }
        ++checked;
      }
      // Unique mobile numbers 130…189 (the create script uses 199…).
      long long mobile = 13000000000LL + (static_cast<long long>(k) * 7919LL) % 6000000000LL;
      if (chance(0.95)) {
        std::string ms = std::to_string(mobile);
        std::string shown = chance(0.3) ? ms.substr(0, 3) + "-" + ms.substr(3, 4) + "-" + ms.substr(7) : ms;
        contacts.add({id, "phone", shown, ms, std::int64_t{0}, at});
        if (chance(0.1)) {
          std::string land = "0" + std::to_string(10 + uni(80)) + std::to_string(60000000 + k % 39999999);
          contacts.add({id, "phone", land, land, std::int64_t{1}, at});
        }
      }
      if (chance(0.6)) {
        static const char* kDomains[] = {"mail.example.cn", "163.example.com", "qq.example.com",
                                         "example.edu.cn"};
        std::string mail = mail_local + std::to_string(k) + "@" + kDomains[uni(count_of(kDomains))];
        contacts.add({id, "email", mail, mail, std::int64_t{0}, at});
      }
      for (auto& t : kTags)
        if (chance(t.p)) tags.add({id, t.name});
    }
    (void)has_latin;
    if (has_name_key) row.push_back(keys.name_key(name));
    patrons.add(std::move(row));
    events.add({id, at, "patron.created", Value(), "registered", R"({"by_role":"system"})"});

    ++in_tx;
    bool last = i + 1 == o.count;
    if (in_tx >= o.per_tx || last) {
      if (auto s = flush_all(true); !s) return die(s.error());
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "\r%ld/%ld patrons, %.0f s, %.0f/s, %zu distinct name keys   ", i + 1,
                   o.count, secs, (i + 1) / secs, keys.misses());
    } else if (in_tx % 200 == 0) {
      if (auto s = flush_all(false); !s) return die(s.error());
    }
  }
  std::fprintf(stderr, "\n");

  // Identity columns on PostgreSQL: explicit ids do not advance the sequence.
  {
    auto t = db.begin(store::TxMode::write);
    if (!t) return die(t.error());
    if (pg) {
      auto s = (*t)->exec_script(
          "SELECT setval(pg_get_serial_sequence('patrons', 'id'), (SELECT MAX(id) FROM patrons));"
          "ANALYZE;");
      if (!s) return die(s.error());
    }
    if (auto s = (*t)->commit(); !s) return die(s.error());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("generated %ld patrons (%ld organisations), %zu contacts, %zu tags, %zu events in %.1f s\n",
              o.count, n_org, contacts.total(), tags.total(), events.total(), secs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  crypto::init();
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--append") o.append = true;
    else if (a == "--database" && (v = next())) o.database = v;
    else if (a == "--count" && (v = next())) o.count = std::atol(v);
    else if (a == "--password" && (v = next())) o.password = v;
    else if (a == "--seed" && (v = next())) o.seed = static_cast<unsigned>(std::atol(v));
    else if (a == "--per-tx" && (v = next())) o.per_tx = std::max(1L, std::atol(v));
    else return usage();
  }
  if (o.database.empty() || o.count <= 0) return usage();
  return run(o);
}
