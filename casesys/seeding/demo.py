"""``flask seed demo``: demo users for every role at several agencies, and a few sample cases,
registered and moved on through the workflow engine like real ones. Idempotent."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from casesys.auth import services as auth_services
from casesys.auth.models import User
from casesys.cases.models import Case, CaseLink
from casesys.cases.schemas import CaseIn
from casesys.core.types import CHINA_TZ, today_in_china
from casesys.extensions import db
from casesys.workflows import engine
from casesys.workflows.registration import register_case

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
    ("hrb.police.head", "哈尔滨市公安局负责人 林涛", "230100-public_security", {"agency_head"}),
    ("hrb.copyright.officer", "哈尔滨市版权执法员 高原", "230100-copyright", {"officer"}),
    ("hrb.court.head", "哈尔滨中院庭长 许明", "230100-court", {"agency_head"}),
    ("hl.ipo.head", "省知识产权局负责人 马骏", "230000-ip_office", {"agency_head"}),
]

# registering user, case input (without received_on), days before today it was received, and
# the steps taken since: (user, transition, fields, days before today). Each step goes through
# the workflow engine, so clocks, history and linked cases are what real use would leave.
SAMPLE_CASES = [
    ("hrb.officer", {"title": "某商场销售假冒注册商标白酒案", "ip_type": "trademark", "source": "complaint",
                     "region": "230100", "amount_involved": Decimal("186400.00"),
                     "parties": [{"role": "complainant", "kind": "organisation", "name": "某酒业股份有限公司",
                                  "uscc": "91350100M000100Y43"},
                                 {"role": "respondent", "kind": "organisation", "name": "哈尔滨某商贸有限公司"}]},
     12, [("hrb.officer", "start_verification", {"is_complaint": True}, 11),
          ("hrb.head", "file_case", {"note": "证据初步确实"}, 10),
          ("hrb.officer", "start_investigation", {}, 9)]),
    ("hrb.officer", {"title": "网店销售仿冒知名商品包装案", "ip_type": "unfair_competition",
                     "source": "ecommerce_platform", "region": "230100", "amount_involved": Decimal("52000.50"),
                     "parties": [{"role": "respondent", "kind": "person", "name": "王某"}]}, 5, []),
    ("hrb.officer2", {"title": "某食品公司配方商业秘密被侵犯举报", "ip_type": "trade_secret", "source": "report",
                      "region": "230100",
                      "parties": [{"role": "complainant", "kind": "organisation", "name": "某食品有限公司"},
                                  {"role": "respondent", "kind": "person", "name": "前员工李某"}]}, 3,
     [("hrb.officer2", "start_verification", {"note": "调取劳动合同及保密协议"}, 2)]),
    ("qqhr.officer", {"title": "假冒专利标识产品案", "ip_type": "patent_utility_model", "source": "inspection",
                      "region": "230200", "amount_involved": Decimal("8900.00"),
                      "parties": [{"role": "respondent", "kind": "organisation", "name": "齐齐哈尔某机械厂"}]},
     20, []),
    ("hl.copyright.officer", {"title": "盗版图书发行案", "ip_type": "copyright", "source": "report",
                              "region": "230600", "amount_involved": Decimal("43000.00"),
                              "parties": [{"role": "respondent", "kind": "organisation",
                                           "name": "大庆某书店"}]}, 30, []),
    ("hrb.officer", {"title": "某网吧传播盗版影视作品投诉", "ip_type": "copyright", "source": "complaint",
                     "region": "230100",
                     "parties": [{"role": "complainant", "kind": "organisation", "name": "某影视文化有限公司"},
                                 {"role": "respondent", "kind": "organisation", "name": "哈尔滨某网吧"}]},
     2, [("hrb.officer", "hand_off", {"receiving_agency": "230100-copyright", "reason": "属著作权行政执法事项",
                                      "materials": "投诉书、权属证明、现场截图"}, 1)]),
    ("hrb.officer", {"title": "制售假冒名牌箱包案", "ip_type": "trademark", "source": "inspection",
                     "region": "230100", "amount_involved": Decimal("680000.00"),
                     "parties": [{"role": "respondent", "kind": "organisation", "name": "哈尔滨某皮具加工厂"}]},
     40, [("hrb.officer", "start_verification", {}, 39), ("hrb.head", "file_case", {}, 38),
          ("hrb.officer", "start_investigation", {}, 37),
          ("hrb.officer", "propose_criminal_transfer",
           {"reason": "非法经营数额逾五万元，涉嫌假冒注册商标罪", "task_group": "张伟、李娜"}, 5),
          ("hrb.head", "approve_transfer", {}, 4, "criminal_transfer"),
          ("hrb.officer", "transfer", {"materials": "移送书、调查报告、涉案物品清单、鉴定意见"}, 4,
           "criminal_transfer"),
          ("hrb.police", "accept_transfer", {}, 3, "criminal_transfer")]),
    ("hl.ipo.officer", {"workflow": "patent_ruling", "title": "某发明专利侵权纠纷处理请求",
                        "ip_type": "patent_invention", "source": "complaint", "region": "230000",
                        "parties": [{"role": "complainant", "kind": "organisation", "name": "某农业装备股份有限公司"},
                                    {"role": "respondent", "kind": "organisation", "name": "佳木斯某农机制造厂"}]},
     6, []),
    ("hrb.mediator", {"workflow": "mediation", "title": "商标许可使用费纠纷调解", "ip_type": "trademark",
                      "source": "complaint", "region": "230100", "amount_involved": Decimal("120000.00"),
                      "parties": [{"role": "complainant", "kind": "organisation", "name": "某餐饮管理有限公司"},
                                  {"role": "respondent", "kind": "person", "name": "加盟商刘某"}]},
     10, [("hrb.mediator", "accept", {"note": "双方同意调解"}, 9),
          ("hrb.mediator", "start_mediation", {"mediators": "何平"}, 8),
          ("hrb.mediator", "settle", {"terms": "被申请人分期支付许可费十二万元", "amount": "120000.00"}, 2)]),
    ("hrb.judge", {"workflow": "civil_litigation", "title": "侵害实用新型专利权纠纷", "ip_type": "patent_utility_model",
                   "source": "court_referral", "region": "230100",
                   "parties": [{"role": "complainant", "kind": "organisation", "name": "某电子科技有限公司"},
                               {"role": "respondent", "kind": "organisation", "name": "哈尔滨某电器经销部"}]},
     20, [("hrb.judge", "assign_procedure", {"procedure": "simple"}, 19)]),
]


def seed_demo() -> dict[str, int]:
    created = {"users": 0, "cases": 0}
    users = {}
    for username, display_name, agency_code, roles in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            # Demo addresses end in example.gov.cn (RFC 2606-style): in development mail goes to the log.
            user = auth_services.create_user(None, username=username, password=DEMO_PASSWORD,
                                             agency_code=agency_code, roles=roles, display_name=display_name,
                                             email=f"{username}@example.gov.cn")
            created["users"] += 1
        users[username] = user
    today = today_in_china()
    for username, fields, days_ago, steps in SAMPLE_CASES:
        exists = db.session.scalar(select(Case.id).where(Case.title == fields["title"]))
        if exists is not None:
            continue
        data = CaseIn(**{"workflow": "admin_enforcement", **fields}, received_on=today - timedelta(days=days_ago))
        case = register_case(users[username], data)
        created["cases"] += 1
        for actor, transition, values, step_days_ago, *on_linked in steps:
            target = _linked_case(case, on_linked[0]) if on_linked else case
            day = today - timedelta(days=step_days_ago)
            # Recorded as done at 10:00 that day (hour clocks count from the time of a step).
            at = datetime.combine(day, time(10), CHINA_TZ) if step_days_ago else None
            engine.apply_transition(users[actor], target.id, transition, values, expected_version=target.version,
                                    effective_on=day, effective_at=at)
    return created


def _linked_case(case: Case, workflow: str) -> Case:
    """The case ``case`` opened in ``workflow`` (a criminal transfer...)."""
    return db.session.scalar(select(Case).join(CaseLink, CaseLink.child_id == Case.id)
                             .where(CaseLink.parent_id == case.id, Case.workflow == workflow))
