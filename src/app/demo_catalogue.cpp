// demo_catalogue.cpp — the demo catalogue: two fonds, a category tree, schemes (one that
// reuses closed customers' numbers), a storeroom with boxes, and about 400 records in
// simplified and traditional Chinese and English, some controlled or secret, some
// customer files of demo patrons, some past their retention. Deterministic.
#include <random>

#include "app/app.h"
#include "catalogue/catalogue.h"

namespace dangan::app {

using json = nlohmann::json;

namespace {

const char* kTopics[] = {"档案信息化建设", "馆藏数字化",   "用户满意度调查", "城市总体规划",
                         "电网改造工程",   "历史街区保护", "家谱整理",       "口述史采集",
                         "档案利用服务",   "借阅制度修订", "防汛抗旱",       "基本建设项目",
                         "科技成果鉴定",   "土地征收补偿", "企业改制",       "职工住房分配",
                         "重点用户走访",   "档案鉴定销毁", "库房温湿度管理", "客户服务热线"};
const char* kKinds[] = {"请示", "批复", "通知", "会议纪要", "工作报告", "合同", "图纸", "照片集"};
const char* kCreators[] = {"市档案馆办公室", "市规划局", "国网杭州供电公司", "市建设委员会",
                           "档案利用服务部", "市地方志办公室"};
const char* kTraditional[] = {"關於檔案館建設的報告", "歷史街區保護規劃圖紙", "臺灣同胞尋根檔案",
                              "電網改造工程竣工驗收資料", "家譜與族譜整理說明"};
const char* kEnglish[] = {"Annual report of the municipal archives", "Survey of reader satisfaction",
                          "Power grid upgrade: acceptance documents",
                          "Oral history interviews with retired engineers",
                          "Digitisation plan for historical maps"};
const char* kKeywords[] = {"档案", "规划", "电力", "用户", "数字化", "家谱", "照片", "合同", "服务", "基建"};

template <class T, std::size_t N>
const T& pick(std::mt19937& rng, const T (&a)[N]) {
  return a[rng() % N];
}

}  // namespace

Status load_catalogue_demo(store::Database& db, const Config& config,
                           const std::vector<std::int64_t>& patron_ids) {
  audit::ReadRecorder reads(db);
  catalogue::Service s(db, reads, config);
  TRY_STATUS(s.ensure_defaults());
  Actor sys = system_actor();
  std::mt19937 rng(20261126);

  TRY(s.create_fonds(sys, {{"code", "G01"}, {"name", "国网杭州供电公司客户档案"}}));
  auto kj = TRY(s.create_category(sys, {{"code", "KJ"}, {"name", "科技"}}));
  auto jj = TRY(s.create_category(sys, {{"code", "JJ"}, {"name", "基建"}, {"parent_id", kj["id"]}}));
  auto sb = TRY(s.create_category(sys, {{"code", "SB"}, {"name", "设备"}, {"parent_id", kj["id"]}}));
  auto zp = TRY(s.create_category(sys, {{"code", "ZP"}, {"name", "照片"}}));
  auto kh = TRY(s.create_category(sys, {{"code", "KH"}, {"name", "客户档案"}}));
  auto h = TRY(s.create_category(sys, {{"code", "H"}, {"name", "高压客户"}, {"parent_id", kh["id"]}}));
  auto l = TRY(s.create_category(sys, {{"code", "L"}, {"name", "低压客户"}, {"parent_id", kh["id"]}}));
  TRY(s.create_scheme(sys, {{"code", "kj"}, {"name", "科技档案：全宗-类目-年度-件号"},
                            {"template", "{fonds}-{category_path}-{year}-{seq:03}"},
                            {"category_id", kj["id"]}}));
  TRY(s.create_scheme(sys, {{"code", "kh-h"}, {"name", "高压客户：类别号-案卷顺序号"},
                            {"template", "H-{seq:05}"}, {"category_id", h["id"]}}));
  TRY(s.create_scheme(sys, {{"code", "kh-l"}, {"name", "低压客户：类别号-案卷顺序号（销户号码复用）"},
                            {"template", "L-{seq:05}"}, {"category_id", l["id"]},
                            {"reuse_numbers", true}}));

  auto building = TRY(s.create_location(sys, {{"kind", "building"}, {"code", "A"}, {"name", "档案馆主楼"}}));
  std::vector<std::int64_t> boxes;
  for (int room = 1; room <= 2; ++room) {
    auto r = TRY(s.create_location(sys, {{"kind", "room"}, {"code", "10" + std::to_string(room)},
                                         {"name", std::to_string(100 + room) + " 库房"},
                                         {"parent_id", building["id"]}}));
    for (int cab = 1; cab <= 3; ++cab) {
      auto c = TRY(s.create_location(sys, {{"kind", "cabinet"}, {"code", "G0" + std::to_string(cab)},
                                           {"name", std::to_string(cab) + " 号柜"},
                                           {"parent_id", r["id"]}}));
      for (int box = 1; box <= 4; ++box) {
        auto b = TRY(s.create_location(sys, {{"kind", "box"}, {"code", std::to_string(box)},
                                             {"name", std::to_string(box) + " 号盒"},
                                             {"parent_id", c["id"]}, {"capacity", 20}}));
        boxes.push_back(b["id"]);
      }
    }
  }

  const char* levels[] = {"open", "open", "open", "open", "open", "open", "controlled", "controlled", "open", "secret"};
  const char* carriers[] = {"paper", "paper", "paper", "electronic", "photo"};
  const char* retentions[] = {"Y", "D30", "D30", "D10", "C"};
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 400; ++i) {
    json body;
    int year = 1950 + static_cast<int>(rng() % 76);
    std::string topic = pick(rng, kTopics), kind = pick(rng, kKinds);
    if (i % 40 == 7) {
      body["title"] = kTraditional[(i / 40) % 5];
    } else if (i % 40 == 19) {
      body["title"] = kEnglish[(i / 40) % 5];
    } else {
      body["title"] = "关于" + topic + "的" + kind;
    }
    body["description"] = std::to_string(year) + "年" + pick(rng, kCreators) + "形成的" + topic +
                          "相关" + kind + "，共" + std::to_string(1 + rng() % 80) +
                          "页，记载了工作过程、参与单位和主要结论。";
    body["keywords"] = json::array({pick(rng, kKeywords), pick(rng, kKeywords)});
    body["creator"] = pick(rng, kCreators);
    body["year"] = year;
    body["access_level"] = levels[rng() % 10];
    body["carrier"] = kind == std::string("照片集") ? "photo" : carriers[rng() % 5];
    body["retention"] = retentions[rng() % 5];
    body["pages"] = 1 + static_cast<int>(rng() % 80);
    if (i % 9 == 0) body["important"] = true;
    if (i % 3 == 0) body["location_id"] = boxes[(i / 3) % boxes.size()];
    switch (i % 8) {
      case 1: body["category_id"] = jj["id"]; break;
      case 2: body["category_id"] = sb["id"]; break;
      case 3: body["category_id"] = zp["id"]; break;
      default: break;
    }
    if (i % 10 == 5 && !patron_ids.empty()) {
      body["fonds"] = "G01";
      body["category_id"] = i % 20 == 5 ? h["id"] : l["id"];
      body["patron_id"] = patron_ids[(i / 10) % patron_ids.size()];
      body["title"] = std::string(i % 20 == 5 ? "高压" : "低压") + "客户用电档案（" +
                      std::to_string(year) + "年立卷）";
      body["access_level"] = "controlled";
      body["retention"] = "D30";
    }
    auto rec = TRY(s.create_record(sys, body));
    ids.push_back(rec["id"]);
  }
  // Citations between records (an importance signal) and a few closed customer files.
  for (std::size_t i = 10; i + 5 < ids.size() && i < 200; i += 17)
    TRY(s.add_relation(sys, ids[i], {{"related_id", ids[i + 5]}, {"kind", i % 2 ? "cites" : "refers_to"}}));
  for (std::size_t i = 15; i < ids.size() && i < 120; i += 40)
    TRY(s.close_record(sys, ids[i], "客户销户"));
  reads.flush();
  return {};
}

}  // namespace dangan::app
