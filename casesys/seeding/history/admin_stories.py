"""Stories of administrative cases (with their handoffs and criminal transfers) and police cases."""

from __future__ import annotations

from datetime import date, timedelta

from casesys.seeding.history.stories import AgencyRef, CaseSpec, Step, Story
from casesys.seeding.history.vocabulary import (
    ADMIN_TITLES,
    BRANDS,
    CRIME_TITLES,
    HANDOFF_REASONS,
    MATERIALS,
    NOT_FILED_REASONS,
    PATENT_IPS,
    PENALTY_TEXTS,
    RETURN_REASONS,
    SOURCES_BY_KIND,
    SURNAMES,
    SUSPEND_GROUNDS,
    WORDS,
    yuan,
)

# The filing clock each registering kind runs in workflows/admin_enforcement.yaml: (working days,
# extension step or None). SAMR Art 18 for market regulation and IP offices, the agriculture rule's
# 7 (+7), and an internal follow-up target without extensions for the others.
FILING_PERIODS = {"market_regulation": (15, 15), "ip_office": (15, 15), "agriculture": (7, 7)}
# Kinds whose case-decision clock has an extension ladder (the others have none).
CASE_EXTENDING_KINDS = frozenset({"market_regulation", "ip_office", "agriculture"})


class AdminStories:
    """The planner's stories of administrative and police cases."""

    def admin(self, agency: AgencyRef, ip_type: str, *, filed_on: date | None = None, received_on: date | None = None,
              route: str = "penalty", handoff: tuple[str, AgencyRef] | None = None, transfer: str | None = None,
              source: str | None = None) -> Story:
        rng = self.rng
        first = handoff[1] if handoff and handoff[0] == "accepted" else agency
        source = source or rng.choices(*zip(*SOURCES_BY_KIND[first.kind].items(), strict=True))[0]
        region = self.case_region(first)
        respondent = self.respondent(agency.kind, region.code, ip_type, 0.55 if agency.kind != "customs" else 0.9)
        parties = ([self.holder()] if source in ("complaint", "customs") else []) + [respondent]
        key = ("patent" if ip_type in PATENT_IPS else "agriculture_trademark" if agency.kind == "agriculture"
               and ip_type != "plant_variety" else agency.kind if agency.kind in ADMIN_TITLES else ip_type)
        title = rng.choice(ADMIN_TITLES[key]).format(r=respondent.name, b=rng.choice(BRANDS))
        amount = self.money(30000 if ip_type != "plant_variety" else 15000, 1.1) if rng.random() < 0.7 else None
        spec = CaseSpec("admin_enforcement", first, ip_type, source, region, received_on or filed_on, title, parties,
                        amount)
        pre, final = self._admin_pre(agency, first, source, route, handoff)
        if filed_on is not None:
            spec.received_on = self.cal.subtract_working_days(filed_on, final)
        steps = [Step(name, self.cal.add_working_days(spec.received_on, off), data, (), role)
                 for off, name, data, role in pre]
        if route == "not_filed":
            return Story(spec, steps)
        filed = steps[-1].day
        steps += self._admin_after(filed, spec, transfer, owner_kind=agency.kind)
        return Story(spec, steps)

    def _admin_pre(self, agency, first, source, route, handoff):
        """Steps up to the filing decision, as (working days after receipt, name, fields, role)."""
        rng = self.rng
        pre, off, clock_from = [], 0, 0
        if handoff:
            status, other = handoff
            receiver = agency if status == "accepted" else other
            reason = HANDOFF_REASONS["same" if receiver.kind == first.kind else receiver.kind]
            off += rng.randint(0, 1)
            pre.append((off, "hand_off", {"receiving_agency": receiver.code, "reason": reason,
                                          "materials": rng.choice(MATERIALS)}, None))
            off += rng.choice((1, 1, 1, 2, 2, 3, 4, 5))
            if status == "accepted":
                pre.append((off, "accept_handoff", {}, None))
                clock_from = off
            else:
                pre.append((off, "return_handoff", {"reason": rng.choice(RETURN_REASONS)}, None))
        if route == "not_filed" and rng.random() < 0.25:
            off += rng.randint(1, 5)
            pre.append((off, "decide_not_to_file", {"reason": rng.choice(NOT_FILED_REASONS)}, None))
            return pre, off
        off += rng.randint(0, 2)
        complaint = source == "complaint"
        pre.append((off, "start_verification", {"is_complaint": complaint, "note": "调取证据、询问当事人"}, None))
        if complaint:
            off += rng.randint(1, 6) if rng.random() > 0.07 else rng.randint(8, 11)
            pre.append((off, "accept_complaint", {"note": "符合受理条件，决定受理"}, None))
        paused = 0
        if route != "not_filed" and rng.random() < 0.1:
            off += rng.randint(1, 3)
            pre.append((off, "pause_for_testing", {"reason": "送检鉴定并请权利人辨认"}, None))
            paused = rng.randint(4, 15)
            off += paused
            pre.append((off, "resume_verification", {"note": "鉴定意见为侵权产品"}, None))
        period, step = FILING_PERIODS.get(first.kind, (15, None))  # the registrant's clock runs throughout
        due = clock_from + period + paused
        draw = rng.random()
        if draw < 0.06:
            final = due + rng.randint(1, 7)  # decided late
        elif draw < 0.10 and step and off + 1 <= due:
            extend = max(off + 1, due - 2)
            pre.append((extend, "extend_filing_decision",
                        {"reason": "案情复杂，需进一步核查", "extension_amount": step}, None))
            off, final = extend, due + rng.randint(2, min(14, step - 1))
        else:
            final = clock_from + paused + rng.randint(3, min(14, period))
        final = max(final, off + 1)
        if route == "not_filed":
            pre.append((final, "decide_not_to_file", {"reason": rng.choice(NOT_FILED_REASONS)}, None))
        else:
            pre.append((final, "file_case", {"note": "有证据初步证明存在违法行为，予以立案"}, None))
        return pre, final

    def _admin_after(self, filed: date, spec: CaseSpec, transfer: str | None, *, owner_kind: str) -> list[Step]:
        rng = self.rng
        steps = [Step("start_investigation", self.wd(filed, 0, 3), {"note": "成立办案组，现场检查并调取证据"})]
        cursor, paused = steps[-1].day, 0
        if rng.random() < 0.1:
            pause_on = self.later(cursor, 2, 15)
            steps.append(Step("suspend_investigation", pause_on, {"reason": rng.choice(SUSPEND_GROUNDS),
                                                                  "note": "送检鉴定期间不计入办案期限"}))
            cursor = self.later(pause_on, 7, 45)
            paused = (cursor - pause_on).days
            steps.append(Step("resume_investigation", cursor, {"note": "鉴定意见已出具"}))
        if transfer:
            proposed = self.later(cursor, 7, 45)
            steps.append(Step("propose_criminal_transfer", proposed, {
                "reason": "涉案金额达到刑事立案追诉标准，涉嫌犯罪", "task_group": "专案组：" + "、".join(
                    f"{rng.choice(SURNAMES)}{rng.choice(WORDS)[0]}" for _ in range(2))}))
            child, resumed = self.transfer_steps(proposed, transfer)
            steps += child
            if resumed is None:
                return steps  # the police filed: closed as transferred when the criminal case ends
            if transfer == "filed_returned":  # reopened for a penalty decision (decree 310 Art 13)
                resumed = self.later(resumed, 1, 10)
                steps.append(Step("resume_after_return", resumed, {"note": "公安机关退回，依法作出行政处罚"}))
            cursor = resumed
        draw = rng.random()
        late, extend = draw < 0.06, 0.06 <= draw < 0.11 and not transfer and owner_kind in CASE_EXTENDING_KINDS
        active = rng.randint(92, 125) if late else rng.randint(95, 112) if extend else rng.randint(20, 86)
        if transfer:
            target = cursor + timedelta(days=rng.randint(7, 40))
        else:
            target = filed + timedelta(days=active + paused)
        if extend:
            window = (max(cursor, filed + timedelta(days=paused + 60)), filed + timedelta(days=paused + 85))
            if window[0] < window[1]:
                cursor = self.between(*window)
                steps.append(Step("extend_case_decision", cursor, {"reason": "案情复杂，负责人批准延长办案期限",
                                                                   "extension_amount": 30}))
        notified = max(self.wd(cursor, 1), self.work(target - timedelta(days=7)))
        steps.append(Step("notify_party", notified, {"intended_penalty": rng.choice(PENALTY_TEXTS)}))
        if rng.random() < 0.08:
            asked = self.wd(notified, 2, 4)
            steps.append(Step("request_hearing", asked, {"hearing_date": "听证会定于告知后十五日内举行"}))
            held = self.later(asked, 7, 20)
            steps.append(Step("end_hearing", held, {"note": "当事人到场陈述申辩，听证笔录附卷"}))
            decided = self.wd(held, 2, 8)
        else:
            decided = self.wd(notified, 3, 5)
        amount = spec.amount_fen or self.money(25000, 1.1)
        decision = {"decision": "penalty" if rng.random() < 0.93 else "no_penalty", "amount_involved": yuan(amount)}
        if decision["decision"] == "penalty":
            decision["fine"] = yuan(max(50000, round(amount * rng.uniform(0.3, 3.0) / 10000) * 10000))
            decision["order_to_stop"] = True
            if rng.random() < 0.6:
                decision["confiscation"] = f"没收侵权商品{rng.randint(12, 3000)}件"
        steps.append(Step("decide_penalty", decided, decision, role="agency_head"))
        steps.append(Step("close_case", self.later(decided, 3, 40), {"note": "罚没款已缴清，结案归档"}))
        return steps

    TRANSFER_VARIANTS = {"filed_solved": 60, "refused": 8, "filed_cancelled": 4, "filed_returned": 4,
                         "declined_accepted": 12, "reconsidered_filed": 6, "supervised_filed": 3,
                         "supervised_rejected": 3}

    def transfer_steps(self, proposed: date, variant: str):
        """The criminal_transfer case's steps; and the day the administrative case resumes (None:
        the police filed, and the administrative case closed as transferred)."""
        rng, on, steps = self.rng, ("criminal_transfer",), []

        def add(name, day, data=None, role=None):
            steps.append(Step(name, day, data or {}, on, role))
            return day

        if variant == "refused":
            return steps, add("refuse_transfer", proposed + timedelta(days=rng.randint(1, 3)),
                              {"reason": "证据尚不足以认定涉嫌犯罪，继续行政处理"})
        approved = add("approve_transfer", proposed + timedelta(days=rng.choice((0, 1, 1, 2, 2, 5))),
                       {"note": "同意移送"})
        sent = add("transfer", approved + timedelta(days=rng.choice((0, 0, 1))),
                   {"materials": "移送书、调查报告、涉案物品清单、检验鉴定结论"})
        accepted = add("accept_transfer", sent + timedelta(days=rng.randint(0, 2)), {"note": "已签收移送回执"})
        if variant.startswith(("declined", "reconsidered", "supervised")):
            declined = add("decline_filing", accepted + timedelta(days=rng.choice((2, 3, 3, 5, 9))),
                           {"reason": "认为没有犯罪事实，或者犯罪情节显著轻微"})
            if variant == "declined_accepted":
                return steps, add("accept_non_filing", declined + timedelta(days=rng.randint(1, 3)),
                                  {"note": "接受不予立案决定，继续行政处理"})
            asked = add("request_reconsideration", declined + timedelta(days=rng.randint(1, 3)),
                        {"reason": "涉案金额已达追诉标准，申请复议"})
            if variant == "reconsidered_filed":
                filed = add("reconsider_and_file", asked + timedelta(days=rng.randint(1, 3)),
                            {"decision_number": f"公（经）立字〔{asked.year}〕{rng.randint(1, 999)}号"})
            else:
                upheld = add("uphold_refusal", asked + timedelta(days=rng.randint(1, 3)),
                             {"reason": "复议维持不立案决定"})
                requested = add("request_supervision", upheld + timedelta(days=rng.randint(1, 3)),
                                {"reason": "建议人民检察院依法进行立案监督"})
                explain = add("ask_explanation", requested + timedelta(days=rng.randint(2, 6)),
                              {"note": "要求说明不立案理由通知书"}, "agency_head")
                explained = add("explain_refusal", explain + timedelta(days=rng.randint(2, 7)),
                                {"explanation": "经审查认为情节显著轻微，不认为是犯罪"})
                if variant == "supervised_rejected":
                    found = add("reject_supervision", explained + timedelta(days=rng.randint(3, 15)),
                                {"reason": "公安机关不立案理由成立"}, "agency_head")
                    ended = add("tell_agency_refusal_justified", found + timedelta(days=rng.randint(1, 9)),
                                {"note": "书面告知移送机关"}, "agency_head")
                    return steps, ended
                ordered = add("order_filing", explained + timedelta(days=rng.randint(3, 10)),
                              {"reason": "不立案理由不能成立，通知公安机关立案"}, "agency_head")
                filed = add("file_on_order", ordered + timedelta(days=rng.randint(3, 14)),
                            {"decision_number": f"公（经）立字〔{ordered.year}〕{rng.randint(1, 999)}号"})
        else:
            review = rng.randint(1, 3) if rng.random() < 0.7 else rng.randint(4, 12)
            if review > 3:  # an economic-crime review extended on the ladder (经济犯罪若干规定 Art 16)
                add("extend_economic_review", accepted + timedelta(days=rng.randint(1, 3)),
                    {"reason": "经济犯罪案件，需进一步审查", "extension_amount": 7}, "agency_head")
            if review > 10:
                add("extend_economic_review", accepted + timedelta(days=rng.randint(7, 10)),
                    {"reason": "案情重大复杂，经县级以上公安机关负责人批准", "extension_amount": 20}, "agency_head")
            filed = add("file_criminal_case", accepted + timedelta(days=review),
                        {"decision_number": f"公（经）立字〔{accepted.year}〕{rng.randint(1, 999)}号"})
        handed = add("hand_over_items", filed + timedelta(days=rng.randint(0, 3) if rng.random() < 0.9
                                                          else rng.randint(4, 7)),
                     {"items": "涉案侵权商品、账册及电子数据"})
        started = add("start_investigation", handed + timedelta(days=rng.randint(1, 10)),
                      {"note": "成立专案组开展侦查"})
        if variant == "filed_returned":
            return steps, add("return_for_admin_penalty", started + timedelta(days=rng.randint(15, 90)),
                              {"reason": "不构成犯罪，但应予行政处罚"}, "agency_head")
        if variant == "filed_cancelled":
            add("cancel_criminal_case", started + timedelta(days=rng.randint(30, 200)), {"reason": "犯罪嫌疑人死亡"},
                "agency_head")
            return steps, None
        suspects, amount = self.suspects(), self.money(600000, 1.3)
        solved = add("solve", started + timedelta(days=rng.randint(20, 200)),
                     {"suspects_arrested": suspects, "amount_involved": yuan(amount)})
        referred = add("refer_for_prosecution", solved + timedelta(days=rng.randint(10, 60)),
                       {"reference": f"起诉意见书〔{solved.year}〕{rng.randint(1, 500)}号"}, "agency_head")
        add("close_after_prosecution", referred + timedelta(days=rng.randint(7, 45)),
            {"note": "已移送检察机关审查起诉"}, "agency_head")
        return steps, None

    def suspects(self) -> int:
        return self.rng.choices((1, 2, 3, 4, 5), weights=(75, 17, 5, 2, 1))[0]

    # police cases opened directly (own investigation)

    def police(self, agency: AgencyRef, ip_type: str, *, received_on: date | None = None, solved_on: date | None = None,
               route: str = "solved", suspects: int = 1, amount_fen: int | None = None,
               handoff_to: AgencyRef | None = None) -> Story:
        rng = self.rng
        received = received_on or self.work(solved_on - timedelta(days=rng.randint(25, 240)))
        region = self.case_region(agency)
        respondent = self.respondent("public_security", region.code, ip_type, 0.3)
        parties = [respondent] + ([self.person()] if rng.random() < 0.25 else [])
        key = "patent" if ip_type in PATENT_IPS else ip_type
        title = rng.choice(CRIME_TITLES.get(key, CRIME_TITLES["trademark"])).format(r=respondent.name)
        source = rng.choices(("own_investigation", "report", "agency_referral"), weights=(60, 30, 10))[0]
        spec = CaseSpec("criminal_transfer", agency, ip_type, source, region, received, title, parties, None,
                        state="filed")
        steps, day = [], received
        if handoff_to is not None:
            day = self.wd(day, 1, 2)
            steps.append(Step("hand_off", day, {"receiving_agency": handoff_to.code,
                                                "reason": HANDOFF_REASONS["public_security"],
                                                "materials": rng.choice(MATERIALS)}))
            day = self.wd(day, 1, 3)
            steps.append(Step("accept_handoff", day))
        started = day + timedelta(days=rng.randint(0, 10))
        if solved_on is not None and started > solved_on:
            started = solved_on
        steps.append(Step("start_investigation", started, {"note": "成立专案组开展侦查"}))
        if route == "cancelled":
            steps.append(Step("cancel_criminal_case", started + timedelta(days=rng.randint(30, 200)),
                              {"reason": "没有犯罪事实，撤销案件"}, role="agency_head"))
        elif route == "returned":
            steps.append(Step("return_for_admin_penalty", started + timedelta(days=rng.randint(15, 90)),
                              {"reason": "不构成犯罪，移交行政机关处理"}, role="agency_head"))
        else:
            solved = solved_on or started + timedelta(days=rng.randint(20, 200))
            steps.append(Step("solve", solved, {"suspects_arrested": suspects,
                                                "amount_involved": yuan(amount_fen or self.money(800000, 1.3))}))
            referred = solved + timedelta(days=rng.randint(10, 60))
            steps.append(Step("refer_for_prosecution", referred,
                              {"reference": f"起诉意见书〔{solved.year}〕{rng.randint(1, 500)}号"}, role="agency_head"))
            steps.append(Step("close_after_prosecution", referred + timedelta(days=rng.randint(7, 45)),
                              {"note": "已移送检察机关审查起诉"}, role="agency_head"))
        return Story(spec, steps)

    # civil first instance (DOMAIN §3.6), with court-entrusted mediation (§3.4)

