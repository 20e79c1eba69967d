"""Reference data: the province, its 13 prefecture-level units and one agency of each kind.

``flask seed reference`` (casesys.seeding.reference) loads these together with the holiday years."""

from __future__ import annotations

from sqlalchemy import select

from casesys.agencies.models import AGENCY_KINDS, PROVINCE_ONLY_KINDS, Agency, Region
from casesys.extensions import db

PROVINCE = ("230000", "黑龙江省", "Heilongjiang Province")
PREFECTURES = [
    ("230100", "哈尔滨市", "Harbin"),
    ("230200", "齐齐哈尔市", "Qiqihar"),
    ("230300", "鸡西市", "Jixi"),
    ("230400", "鹤岗市", "Hegang"),
    ("230500", "双鸭山市", "Shuangyashan"),
    ("230600", "大庆市", "Daqing"),
    ("230700", "伊春市", "Yichun"),
    ("230800", "佳木斯市", "Jiamusi"),
    ("230900", "七台河市", "Qitaihe"),
    ("231000", "牡丹江市", "Mudanjiang"),
    ("231100", "黑河市", "Heihe"),
    ("231200", "绥化市", "Suihua"),
    ("232700", "大兴安岭地区", "Da Hinggan Ling Prefecture"),
]

# kind -> (province name, city suffix) in Chinese; English names are built from AGENCY_KINDS.
_ZH_NAMES = {
    "market_regulation": ("黑龙江省市场监督管理局", "市场监督管理局"),
    "ip_office": ("黑龙江省知识产权局", "知识产权局"),
    "copyright": ("黑龙江省版权局", "版权局"),
    "agriculture": ("黑龙江省农业农村厅", "农业农村局"),
    "forestry_grassland": ("黑龙江省林业和草原局", "林业和草原局"),
    "customs": ("哈尔滨海关", "海关"),
    "public_security": ("黑龙江省公安厅", "公安局"),
    "procuratorate": ("黑龙江省人民检察院", "人民检察院"),
    "court": ("黑龙江省高级人民法院", "中级人民法院"),
    "mediation_org": ("黑龙江省知识产权纠纷人民调解委员会", "知识产权纠纷人民调解委员会"),
    "arbitration": ("黑龙江省仲裁委员会", "仲裁委员会"),
    "protection_center": ("中国（黑龙江）知识产权保护中心", None),
    "coordination_office": ("黑龙江省打击侵权假冒工作领导小组办公室", None),
}


def _agency_names(kind: str, region_zh: str, region_en: str, is_province: bool) -> tuple[str, str]:
    province_zh, city_suffix = _ZH_NAMES[kind]
    label_en = AGENCY_KINDS[kind][0]
    if is_province:
        return province_zh, f"Heilongjiang {label_en}"
    return f"{region_zh}{city_suffix}", f"{region_en} {label_en}"


def seed_agencies() -> dict[str, int]:
    """Insert missing regions and agencies; existing rows are left as they are."""
    created = {"regions": 0, "agencies": 0}
    known_regions = set(db.session.scalars(select(Region.code)))
    known_agencies = set(db.session.scalars(select(Agency.code)))

    code, name_zh, name_en = PROVINCE
    rows = [(code, name_zh, name_en, "province", None, f"{code}/")]
    rows += [(c, zh, en, "prefecture", code, f"{code}/{c}/") for c, zh, en in PREFECTURES]
    for region_code, zh, en, level, parent, path in rows:
        if region_code not in known_regions:
            db.session.add(Region(code=region_code, name_zh=zh, name_en=en, level=level,
                                  parent_code=parent, path=path))
            created["regions"] += 1
        db.session.flush()
        is_province = level == "province"
        for kind in AGENCY_KINDS:
            if kind in PROVINCE_ONLY_KINDS and not is_province:
                continue
            agency_code = f"{region_code}-{kind}"
            if agency_code in known_agencies:
                continue
            agency_zh, agency_en = _agency_names(kind, zh, en, is_province)
            db.session.add(Agency(code=agency_code, kind=kind, region_code=region_code,
                                  name_zh=agency_zh, name_en=agency_en))
            created["agencies"] += 1
    db.session.flush()
    return created
