-- GET /api/v1/patrons?region=…&limit=20 (BENCH_LIST=region) or ?tag=…&limit=20
-- (BENCH_LIST=tag). Each request picks a value uniformly from the whole list, so rare
-- values (0.8% of patrons for the last region, 0.1% for the rarest tag) are asked as
-- often as common ones: a harder mix than real use.
local dir = debug.getinfo(1, "S").source:match("@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local mode = os.getenv("BENCH_LIST") or "region"
local regions = {
  "北京市朝阳区", "上海市浦东新区", "广东省广州市天河区", "广东省深圳市南山区", "浙江省杭州市西湖区",
  "北京市海淀区", "四川省成都市武侯区", "江苏省南京市玄武区", "湖北省武汉市武昌区", "上海市徐汇区",
  "陕西省西安市雁塔区", "重庆市渝中区", "天津市和平区", "江苏省苏州市姑苏区", "湖南省长沙市岳麓区",
  "山东省济南市历下区", "山东省青岛市市南区", "河南省郑州市金水区", "北京市东城区", "北京市西城区",
  "上海市黄浦区", "福建省福州市鼓楼区", "辽宁省沈阳市和平区", "安徽省合肥市蜀山区",
  "黑龙江省哈尔滨市南岗区", "吉林省长春市朝阳区", "江西省南昌市东湖区", "云南省昆明市五华区",
  "贵州省贵阳市南明区", "广西壮族自治区南宁市青秀区", "甘肃省兰州市城关区",
  "新疆维吾尔自治区乌鲁木齐市天山区"}
local tags = {"研究者", "学生", "家谱查询", "首次来访", "重点用户", "企业客户", "媒体", "志愿者",
              "VIP", "捐赠人", "口述史受访者"}
local only = os.getenv("BENCH_LIST_VALUE")  -- one fixed value instead of the mix
local values = mode == "tag" and tags or regions
local paths = {}
for i, v in ipairs(values) do
  paths[i] = "/api/v1/patrons?" .. mode .. "=" .. C.urlencode(v) .. "&limit=20"
end
if only then paths = {"/api/v1/patrons?" .. mode .. "=" .. C.urlencode(only) .. "&limit=20"} end
local headers = C.auth_headers()
setup = C.setup
function init(args)
  math.randomseed(os.time() * 1000 + (tonumber(thread_index) or 0))
end
function request()
  return wrk.format("GET", paths[math.random(1, #paths)], headers)
end
done = C.done
