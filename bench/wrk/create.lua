-- POST /api/v1/patrons with unique, valid data per request.
--
-- Each request is a person with a valid resident ID number that no other request and no
-- generated patron has: the key n = BENCH_CREATE_BASE + thread_index * 2e6 + counter
-- maps to (sequence n % 1000, birth date 1940-01-01 + (n / 1000) % 23725 days, one of
-- 8 region codes that bench_gen_patrons never uses); mobile 19xxxxxxxxx (generated
-- patrons have 130…189) and a unique e-mail. So duplicate detection runs in full but
-- finds nothing.
-- BENCH_CREATE_ORG_SHARE (0…1, default 0): the share of requests that name an
-- organisation (organisation_id: one of the BENCH_ORGS generated organisations, ids
-- 1, 51, 101, …) as 20% of generated persons do; duplicate detection then also compares
-- names within that organisation.
local dir = debug.getinfo(1, "S").source:match("@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local base = tonumber(os.getenv("BENCH_CREATE_BASE") or "0")
local org_share = tonumber(os.getenv("BENCH_CREATE_ORG_SHARE") or "0")
local n_orgs = tonumber(os.getenv("BENCH_ORGS") or "1")
local headers = C.auth_headers({["Content-Type"] = "application/json"})

local regions = {  -- name, resident ID prefix, postcode: none of them in the generated data
  {"北京市丰台区", "110106", "100071"}, {"北京市石景山区", "110107", "100043"},
  {"上海市闵行区", "310112", "201100"}, {"广东省广州市越秀区", "440104", "510030"},
  {"浙江省杭州市上城区", "330102", "310002"}, {"四川省成都市锦江区", "510104", "610021"},
  {"湖北省武汉市江岸区", "420102", "430014"}, {"江苏省南京市秦淮区", "320104", "210001"}}
local surnames = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱"}
local given = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛",
               "明", "超", "华", "建国", "晓东", "海燕", "志强", "文博", "思远", "雨桐"}
local latin_surnames = {"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
                        "Xu", "Sun", "Ma", "Zhu"}
local occupations = {"教师", "工程师", "研究员", "律师", "会计", "医生", "公务员", "退休", "学生"}
local weights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local checks = "10X98765432"

-- Days since 1940-01-01 → y, m, d (Howard Hinnant's civil_from_days).
local function civil(day_index)
  local z = day_index - 10957 + 719468  -- 1940-01-01 is day -10957 of the Unix epoch
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local function resident_id(prefix, y, m, d, seq)
  local s = string.format("%s%04d%02d%02d%03d", prefix, y, m, d, seq)
  local sum = 0
  for i = 1, 17 do sum = sum + (s:byte(i) - 48) * weights[i] end
  local k = sum % 11 + 1
  return s .. checks:sub(k, k)
end

local counter = 0
local tindex = 0
setup = C.setup
function init(args)
  tindex = tonumber(thread_index) or 0
  math.randomseed(os.time() * 1000 + tindex)
end

function request()
  local n = base + tindex * 2000000 + counter
  counter = counter + 1
  local seq = n % 1000
  local y, m, d = civil(math.floor(n / 1000) % 23725)
  local r = regions[math.floor(n / 23725000) % #regions + 1]
  local si = math.random(1, #surnames)
  local name = surnames[si] .. given[math.random(1, #given)]
  local female = seq % 2 == 0
  local org = ""
  if org_share > 0 and math.random() < org_share then
    org = string.format(',"organisation_id":%d,"organisation_relation":"研究人员"', 1 + 50 * math.random(0, n_orgs - 1))
  end
  local body = string.format(
    '{"type":"person","name":"%s","name_latin":"%s","gender":"%s","birth_date":"%04d-%02d-%02d",' ..
    '"id_document":{"type":"resident_id","number":"%s"},"region":"%s","postcode":"%s",' ..
    '"address":"%s人民路%d号","occupation":"%s","phones":["19%09d"],"emails":["bench%d@create.example.cn"],' ..
    '"tags":["首次来访"],"interests":["家谱"],"preferred_channel":"counter",' ..
    '"consents":{"contact":true,"processing":true}%s}',
    name, latin_surnames[si], female and "female" or "male", y, m, d,
    resident_id(r[2], y, m, d, seq), r[1], r[3], r[1], math.random(1, 300),
    occupations[math.random(1, #occupations)], n % 1000000000, n, org)
  return wrk.format("POST", "/api/v1/patrons", headers, body)
end

done = C.done
