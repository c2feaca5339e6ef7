#!/usr/bin/env python3
"""gen_import_csv.py — a catalogue file to import: N rows with Chinese headers and
realistic Chinese titles, descriptions and keywords (some traditional, some English).

    bench/gen_import_csv.py 1000000 > bench/data/import-1m.csv

Deterministic (seeded), so runs compare. Every row is valid; reference codes are left
empty so the catalogue numbers them, unless --codes gives each row one."""
import argparse
import random
import sys

PLACES = ["北京", "上海", "广州", "深圳", "杭州", "南京", "武汉", "成都", "西安", "重庆", "天津", "苏州",
          "青岛", "长沙", "郑州", "沈阳", "昆明", "厦门", "福州", "合肥"]
ORGS = ["市档案馆", "市规划局", "市建设委员会", "区人民政府", "市供电公司", "市自来水公司", "市教育局",
        "市卫生健康委员会", "市交通运输局", "市财政局", "市统计局", "区住房保障局", "燃气集团", "市图书馆"]
SUBJECTS = ["城市建设", "道路改造", "供水管网", "电力线路", "教育发展", "公共卫生", "住房保障", "财政预算",
            "人口普查", "环境保护", "文物保护", "交通规划", "档案管理", "客户服务", "安全生产", "土地征收",
            "旧城改造", "绿化工程", "科技项目", "人事任免"]
KINDS = ["工作报告", "会议纪要", "请示", "批复", "通知", "合同", "验收报告", "年度总结", "统计报表",
         "设计图纸", "往来函件", "调查报告", "实施方案", "用户档案", "申请表"]
TRAD = ["檔案管理辦法", "會議記錄", "發展規劃", "資料彙編", "業務報告"]
ENGLISH = ["Annual report", "Meeting minutes", "Project files", "Correspondence", "Survey data"]
SENTENCES = ["本卷收录了{p}{s}的有关文件", "内容涉及{s}的规划、审批与实施情况", "包括{o}与相关单位的往来函件",
             "记录了{y}年度{s}工作的主要进展", "附有现场照片和图纸若干", "对研究{p}地方历史具有参考价值"]
LEVELS = ["开放"] * 7 + ["控制"] * 2 + ["涉密"]
CARRIERS = ["纸质"] * 6 + ["电子"] * 2 + ["照片", "录音", "录像"]
RETENTION = ["永久", "30年", "10年", "长期"]


def row(rng, i, codes):
    year = rng.randint(1950, 2024)
    place, org, subject, kind = rng.choice(PLACES), rng.choice(ORGS), rng.choice(SUBJECTS), rng.choice(KINDS)
    r = rng.random()
    if r < 0.05:
        title = f"{place}{rng.choice(TRAD)}（{year}年）"
    elif r < 0.08:
        title = f"{rng.choice(ENGLISH)} {year}: {place} {subject}"
    else:
        title = f"{place}{org}关于{subject}的{kind}"
    desc = "，".join(rng.choice(SENTENCES).format(p=place, s=subject, o=org, y=year)
                    for _ in range(rng.randint(1, 3))) + "。"
    keywords = "；".join(rng.sample(SUBJECTS, rng.randint(1, 3)))
    code = f"QZ01-WS-{year}-D30-{i:07d}" if codes else ""
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return [code, title, str(year), f"{year}-{month:02d}-{day:02d}", org, keywords, rng.choice(RETENTION),
            rng.choice(LEVELS), rng.choice(CARRIERS), str(rng.randint(1, 300)), desc]


def quote(v):
    if any(c in v for c in ',"\r\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", type=int)
    ap.add_argument("--codes", action="store_true", help="give every row a reference code")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    out = sys.stdout
    out.write("\ufeff档号,题名,年度,日期,责任者,关键词,保管期限,密级,载体,页数,内容提要\r\n")
    for i in range(1, a.rows + 1):
        out.write(",".join(quote(v) for v in row(rng, i, a.codes)) + "\r\n")


if __name__ == "__main__":
    main()
