"""Names, places, weights and texts the planner draws from: cities, businesses, titles, reasons."""

from __future__ import annotations

import math
import random

from casesys.agencies.reference import PREFECTURES

CITIES = [code for code, _zh, _en in PREFECTURES]
CITY_NAMES = {code: zh.removesuffix("市").removesuffix("地区") for code, zh, _en in PREFECTURES}
CITY_NAMES["230000"] = "黑龙江"
CASE_KINDS = ("market_regulation", "copyright", "agriculture", "forestry_grassland", "customs", "ip_office",
              "public_security", "procuratorate", "court", "mediation_org")



GROWTH = (15, 17, 20, 22, 26)  # share of each year 2016..2020: the caseload grows year by year
REGION_WEIGHTS = {"230000": 5, "230100": 30, "230200": 9, "230300": 4, "230400": 3, "230500": 3, "230600": 10,
                  "230700": 2, "230800": 7, "230900": 2, "231000": 8, "231100": 4, "231200": 6, "232700": 1}
FARM_WEIGHTS = {"230000": 4, "230100": 12, "230200": 14, "230300": 4, "230400": 3, "230500": 5, "230600": 6,
                "230700": 2, "230800": 13, "230900": 2, "231000": 6, "231100": 8, "231200": 15, "232700": 1}
FOREST_WEIGHTS = {"230000": 20, "230700": 25, "232700": 20, "231100": 10, "231000": 10, "230100": 15}
CUSTOMS_WEIGHTS = {"230000": 35, "231000": 25, "231100": 15, "230800": 12, "230100": 13}
COURT_WEIGHTS = {"230000": 2, "230100": 62, "230200": 6, "230300": 2, "230400": 1, "230500": 2, "230600": 8,
                 "230700": 1, "230800": 5, "231000": 6, "231100": 2, "231200": 3}
IPO_WEIGHTS = {"230000": 60, "230100": 20, "230600": 6, "230200": 5, "231000": 5, "230800": 4}
KIND_WEIGHTS = {"agriculture": FARM_WEIGHTS, "forestry_grassland": FOREST_WEIGHTS, "customs": CUSTOMS_WEIGHTS,
                "court": COURT_WEIGHTS, "ip_office": IPO_WEIGHTS}
SOURCES_BY_KIND = {
    "market_regulation": {"complaint": 35, "report": 25, "inspection": 20, "ecommerce_platform": 15,
                          "agency_referral": 5},
    "copyright": {"report": 40, "complaint": 30, "inspection": 30},
    "agriculture": {"inspection": 50, "report": 30, "complaint": 20},
    "forestry_grassland": {"inspection": 60, "report": 40},
    "customs": {"customs": 100},
    "ip_office": {"complaint": 40, "report": 30, "inspection": 30},
}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
WORDS = ("鑫源", "恒达", "华泰", "金誉", "龙江", "北疆", "盛世", "宏图", "瑞丰", "嘉禾", "天成", "百川", "永盛", "新元",
         "凯旋", "润泽", "锦程", "丰收", "兴农", "沃土", "雪原", "冰城", "松江", "黑土", "北垦", "佳禾", "东升", "广源",
         "泰和", "万通", "聚丰", "远航", "宏达", "利民", "金穗", "绿野", "青松", "白桦", "红星", "长青")
BUSINESSES = {
    "trade": ("商贸有限公司", "贸易有限责任公司", "商行", "超市", "百货商店", "电子商务有限公司"),
    "goods": ("服装店", "鞋业商行", "箱包店", "化妆品商行", "五金经销部", "电器经销部", "酒水商行"),
    "food": ("食品有限公司", "酒业有限公司", "米业有限公司", "粮油经销部"),
    "seed": ("种业有限公司", "农资经销部", "种子商店", "农业科技有限公司", "农资连锁有限公司"),
    "tech": ("网络科技有限公司", "电子科技有限公司", "机械制造有限公司", "仪器设备有限公司", "软件有限公司"),
    "culture": ("文化传媒有限公司", "书店", "音像制品店", "网吧", "印刷厂", "影视文化有限公司"),
    "forest": ("林木种苗有限公司", "苗圃", "园林绿化有限公司"),
}
BUSINESS_BY_IP = {"trademark": ("trade", "goods", "food"), "unfair_competition": ("trade", "food", "goods", "tech"),
                  "counterfeit_goods": ("trade", "goods", "food"), "geographical_indication": ("food",),
                  "trade_secret": ("tech",), "copyright": ("culture", "tech"), "plant_variety": ("seed",)}
HOLDER_REGIONS = ("110105", "110108", "310115", "310104", "440300", "440106", "330106", "320506", "510107", "370212",
                  "120116", "230103", "230109", "420106", "350102")
HOLDER_SUFFIXES = ("股份有限公司", "集团有限公司", "有限公司", "科技股份有限公司")
BRANDS = ("雪峰", "龙腾", "北极星", "金麦", "盛和", "华夏", "天鹅", "冰川", "松花", "极光", "长白", "金谷", "飞鹤",
          "远东", "星河", "神舟", "丰禾", "安达", "瑞雪", "青山", "寒地", "北纬", "黑金", "稻香")
PATENT_IPS = ("patent_invention", "patent_utility_model", "patent_design")
PATENT_ZH = {"patent_invention": "发明", "patent_utility_model": "实用新型", "patent_design": "外观设计"}

ADMIN_TITLES = {
    "trademark": ("{r}销售侵犯注册商标专用权商品案", "{r}生产假冒“{b}”注册商标商品案",
                  "{r}在网店销售假冒“{b}”商标商品案"),
    "unfair_competition": ("{r}擅自使用他人有一定影响的商品装潢案", "{r}虚假宣传案", "{r}仿冒他人企业名称案",
                           "{r}商业诋毁案"),
    "patent": ("{r}假冒专利案", "{r}在产品上标注失效专利号案", "{r}冒用他人专利号案"),
    "counterfeit_goods": ("{r}销售假冒伪劣商品案", "{r}制售假冒伪劣白酒案"),
    "geographical_indication": ("{r}擅自使用“五常大米”地理标志案", "{r}擅自使用“东宁黑木耳”地理标志案",
                                "{r}擅自使用“庆安大米”地理标志案"),
    "trade_secret": ("{r}侵犯商业秘密案",),
    "copyright": ("{r}未经许可复制发行他人作品案", "{r}通过网络传播盗版影视作品案", "{r}销售盗版图书案",
                  "{r}未经许可使用计算机软件案"),
    "agriculture": ("{r}销售假冒授权品种种子案", "{r}生产经营假种子案", "{r}未经许可生产经营授权品种繁殖材料案",
                    "{r}销售标签不符种子案"),
    "agriculture_trademark": ("{r}销售假冒“{b}”注册商标化肥案", "{r}销售假冒注册商标农药案"),
    "forestry_grassland": ("{r}侵犯林木植物新品种权案", "{r}销售假冒林木良种案"),
    "customs": ("{r}出口侵犯“{b}”商标专用权货物案", "{r}进口侵犯注册商标专用权货物案"),
}
CRIME_TITLES = {"trademark": ("{r}涉嫌假冒注册商标罪案", "{r}涉嫌销售假冒注册商标的商品罪案"),
                "counterfeit_goods": ("{r}涉嫌生产、销售伪劣产品罪案",), "copyright": ("{r}涉嫌侵犯著作权罪案",),
                "plant_variety": ("{r}涉嫌生产、销售伪劣种子罪案",), "trade_secret": ("{r}涉嫌侵犯商业秘密罪案",),
                "patent": ("{r}涉嫌假冒专利罪案",)}
CIVIL_DISPUTES = {"trademark": "侵害商标权纠纷", "copyright": "著作权权属、侵权纠纷",
                  "unfair_competition": "不正当竞争纠纷", "patent_invention": "侵害发明专利权纠纷",
                  "patent_utility_model": "侵害实用新型专利权纠纷", "patent_design": "侵害外观设计专利权纠纷",
                  "plant_variety": "侵害植物新品种权纠纷", "trade_secret": "侵害技术秘密纠纷",
                  "geographical_indication": "侵害地理标志证明商标权纠纷"}
CIVIL_IP_WEIGHTS = {"trademark": 38, "copyright": 30, "unfair_competition": 9, "patent_utility_model": 8,
                    "patent_invention": 4, "patent_design": 5, "plant_variety": 4, "trade_secret": 1,
                    "geographical_indication": 1}
MEDIATION_DISPUTES = {"trademark": "商标许可使用合同纠纷", "copyright": "著作权许可使用纠纷",
                      "patent_invention": "专利侵权纠纷", "patent_utility_model": "专利侵权纠纷",
                      "plant_variety": "植物新品种许可纠纷", "unfair_competition": "不正当竞争纠纷"}
MEDIATION_IP_WEIGHTS = {"trademark": 40, "copyright": 25, "patent_utility_model": 12, "patent_invention": 8,
                        "plant_variety": 8, "unfair_competition": 7}

HANDOFF_REASONS = {"same": "涉案经营者住所地在外地，移交属地管辖",
                   "copyright": "属著作权行政执法事项，移交版权管理部门",
                   "agriculture": "涉及种子质量及植物新品种权，属农业农村部门职责",
                   "forestry_grassland": "涉及林木种苗及林木品种权，属林业和草原部门职责",
                   "market_regulation": "涉及商标及市场秩序，属市场监督管理部门职责",
                   "court": "不属本院管辖，移送有管辖权的人民法院",
                   "public_security": "犯罪地不在本辖区，移送有管辖权的公安机关"}
MATERIALS = ("投诉书、权属证明及证据材料", "举报材料、现场检查笔录及照片", "线索材料及移交函",
             "起诉状、证据目录及移送管辖裁定书", "案件材料、涉案物品清单")
RETURN_REASONS = ("经审查不属本机关管辖，予以退回", "线索不具体，退回移交机关补充核实", "已由本机关另案处理，退回")
NOT_FILED_REASONS = ("经核查违法事实不成立", "现有证据不足以证明存在违法行为", "不属本机关管辖，已告知投诉人",
                     "违法行为轻微并及时改正，没有造成危害后果", "超过行政处罚追责期限")
SUSPEND_GROUNDS = ("testing", "identification", "suspension", "public_notice")
PENALTY_TEXTS = ("责令停止侵权行为，没收侵权商品，处以罚款", "没收违法所得，并处罚款", "责令改正，处以罚款")
TRIAL_PAUSES = ("appraisal", "public_notice", "jurisdiction_objection", "settlement")


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _org_code(rng: random.Random) -> str:
    """GB 11714 organisation code: 8 digits and their check character."""
    body = f"{rng.randrange(10**8):08d}"
    check = 11 - sum(int(ch) * w for ch, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def split(total: int, weights) -> list[int]:
    """``total`` split by ``weights`` (largest remainder): the parts add up exactly."""
    weights = list(weights)
    scale = sum(weights)
    raw = [total * w / scale for w in weights]
    parts = [math.floor(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])[:total - sum(parts)]:
        parts[i] += 1
    return parts


