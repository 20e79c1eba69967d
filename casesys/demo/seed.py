"""Demo users for every role at several agencies, and a few sample cases. Idempotent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from casesys.auth import services as auth_services
from casesys.auth.models import User
from casesys.cases import services as case_services
from casesys.cases.models import Case
from casesys.cases.schemas import CaseIn
from casesys.core.types import today_in_china
from casesys.extensions import db

DEMO_PASSWORD = "casesys-demo-2026"

# username, display name, agency code, roles
DEMO_USERS = [
    ("admin", "系统管理员", "230000-coordination_office", {"admin"}),
    ("supervisor", "省级监督员 王敏", "230000-coordination_office", {"supervisor"}),
    ("hrb.supervisor", "哈尔滨监督员 刘洋", "230100-market_regulation", {"supervisor"}),
    ("hrb.officer", "哈尔滨市场监管执法员 张伟", "230100-market_regulation", {"officer"}),
    ("hrb.officer2", "哈尔滨市场监管执法员 李娜", "230100-market_regulation", {"officer"}),
    ("hrb.head", "哈尔滨市场监管局负责人 陈刚", "230100-market_regulation", {"agency_head"}),
    ("qqhr.officer", "齐齐哈尔市场监管执法员 赵磊", "230200-market_regulation", {"officer"}),
    ("hl.ipo.officer", "省知识产权局执法员 孙丽", "230000-ip_office", {"officer"}),
    ("hl.copyright.officer", "省版权局执法员 周杰", "230000-copyright", {"officer"}),
    ("hrb.police", "哈尔滨市公安局侦查员 吴强", "230100-public_security", {"officer"}),
    ("hrb.procurator", "哈尔滨市检察院检察官 郑华", "230100-procuratorate", {"officer"}),
    ("hrb.judge", "哈尔滨中院法官 冯静", "230100-court", {"officer"}),
    ("hrb.mediator", "哈尔滨知识产权调解员 何平", "230100-mediation_org", {"mediator"}),
]

# registering user, case input (without received_on), days before today it was received
SAMPLE_CASES = [
    ("hrb.officer", {"title": "某商场销售假冒注册商标白酒案", "ip_type": "trademark", "source": "complaint",
                     "region": "230100", "amount_involved": Decimal("186400.00"),
                     "parties": [{"role": "complainant", "kind": "organisation", "name": "某酒业股份有限公司",
                                  "uscc": "91350100M000100Y43"},
                                 {"role": "respondent", "kind": "organisation", "name": "哈尔滨某商贸有限公司"}]},
     12),
    ("hrb.officer", {"title": "网店销售仿冒知名商品包装案", "ip_type": "unfair_competition",
                     "source": "ecommerce_platform", "region": "230100", "amount_involved": Decimal("52000.50"),
                     "parties": [{"role": "respondent", "kind": "person", "name": "王某"}]}, 5),
    ("hrb.officer2", {"title": "某食品公司配方商业秘密被侵犯举报", "ip_type": "trade_secret", "source": "report",
                      "region": "230100",
                      "parties": [{"role": "complainant", "kind": "organisation", "name": "某食品有限公司"},
                                  {"role": "respondent", "kind": "person", "name": "前员工李某"}]}, 3),
    ("qqhr.officer", {"title": "假冒专利标识产品案", "ip_type": "patent_utility_model", "source": "inspection",
                      "region": "230200", "amount_involved": Decimal("8900.00"),
                      "parties": [{"role": "respondent", "kind": "organisation", "name": "齐齐哈尔某机械厂"}]},
     20),
    ("hl.copyright.officer", {"title": "盗版图书发行案", "ip_type": "copyright", "source": "report",
                              "region": "230600", "amount_involved": Decimal("43000.00"),
                              "parties": [{"role": "respondent", "kind": "organisation",
                                           "name": "大庆某书店"}]}, 30),
]


def seed_demo() -> dict[str, int]:
    created = {"users": 0, "cases": 0}
    users = {}
    for username, display_name, agency_code, roles in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = auth_services.create_user(None, username=username, password=DEMO_PASSWORD,
                                             agency_code=agency_code, roles=roles, display_name=display_name)
            created["users"] += 1
        users[username] = user
    today = today_in_china()
    for username, fields, days_ago in SAMPLE_CASES:
        exists = db.session.scalar(select(Case.id).where(Case.title == fields["title"]))
        if exists is None:
            data = CaseIn(workflow="admin_enforcement", received_on=today - timedelta(days=days_ago), **fields)
            case_services.register_case(users[username], data)
            created["cases"] += 1
    return created
