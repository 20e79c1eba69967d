"""Stories of civil cases (with entrusted mediation), mediations and patent rulings."""

from __future__ import annotations

from datetime import date, timedelta

from casesys.seeding.history.stories import AgencyRef, CaseSpec, Step, Story
from casesys.seeding.history.vocabulary import (
    CIVIL_DISPUTES,
    HANDOFF_REASONS,
    MATERIALS,
    MEDIATION_DISPUTES,
    PATENT_ZH,
    SURNAMES,
    TRIAL_PAUSES,
    yuan,
)


class CourtStories:
    """The planner's stories of civil cases, mediations and patent rulings."""

    def civil(self, court: AgencyRef, ip_type: str, received: date, closed: date, outcome: str, *,
              entrusted: str | None = None, handoff_to: AgencyRef | None = None) -> Story:
        rng = self.rng
        plaintiff = self.holder()
        respondent = self.respondent("court", court.region_code, ip_type, 0.75)
        title = f"{plaintiff.name}诉{respondent.name}{CIVIL_DISPUTES[ip_type]}案"
        source = "complaint" if rng.random() < 0.9 else "court_referral"
        spec = CaseSpec("civil_litigation", court, ip_type, source, self.case_region(court), received, title,
                        [plaintiff, respondent])
        steps, day = [], received
        owner = court
        if handoff_to is not None:
            day = self.wd(day, 1, 2)
            steps.append(Step("hand_off", day, {"receiving_agency": handoff_to.code, "reason": HANDOFF_REASONS["court"],
                                                "materials": MATERIALS[3]}))
            day = self.wd(day, 1, 3)
            steps.append(Step("accept_handoff", day))
            owner = handoff_to
        concluded = max(day, closed - timedelta(days=rng.randint(0, 12)))
        span = (concluded - received).days
        if outcome in ("withdrawn", "dismissed") and (span < 12 or rng.random() < 0.05):
            steps.append(self._civil_conclusion(outcome, concluded))
            steps.append(Step(f"close_{'withdrawn' if outcome == 'withdrawn' else 'dismissed'}", closed,
                              {"note": "裁定书已送达"}))
            return Story(spec, steps)
        assigned = min(concluded, day + timedelta(days=rng.randint(1, max(1, min(10, span // 4)))))
        if span <= 55 and rng.random() < 0.25:
            # Small claims only at basic courts (民事诉讼法 Art 165); the history's courts are
            # intermediate ones (a county code ends in other than 00), so theirs go simple.
            procedure = "small_claims" if owner.region_code[4:] != "00" else "simple"
        elif span <= 88 or (span <= 100 and rng.random() < 0.3):
            procedure = "simple"
        else:
            procedure = "simple_converted" if rng.random() < 0.15 else "ordinary"
        judge = f"{rng.choice(SURNAMES)}法官"
        if procedure == "small_claims":
            steps.append(Step("assign_small_claims", assigned, {"judge": judge}))
        else:
            steps.append(Step("assign_procedure", assigned, {"procedure": procedure.removesuffix("_converted"),
                                                             "judge": judge}))
        cursor = assigned
        mediation_org = self.agencies[f"{owner.region_code}-mediation_org"].code
        if entrusted == "settled":
            start = max(cursor, concluded - timedelta(days=rng.randint(10, 28)))
            steps += self._entrusted(start, concluded, mediation_org, settled=True, ordinary=procedure == "ordinary")
            steps.append(Step("close_mediated", closed, {"note": "调解书已送达双方当事人"}))
            steps += self._performance(concluded, closed)
            return Story(spec, steps)
        if entrusted == "failed" and span >= 45:
            start = cursor + timedelta(days=rng.randint(1, 10))
            steps += self._entrusted(start, start + timedelta(days=rng.randint(10, 30)), mediation_org, settled=False,
                                     ordinary=procedure == "ordinary")
            cursor = steps[-1].day
        elif procedure == "simple_converted" and span > 60:
            cursor = self.between(cursor + timedelta(days=20), min(concluded, received + timedelta(days=85)))
            steps.append(Step("convert_to_ordinary", cursor, {"reason": "案情复杂，转为普通程序审理"}))
            procedure = "ordinary"
        if procedure != "small_claims" and span > 40 and rng.random() < 0.06:
            pause = self.between(cursor, cursor + timedelta(days=(concluded - cursor).days // 3))
            resume = self.between(pause + timedelta(days=5), pause + timedelta(days=max(6, (concluded - pause).days
                                                                                       // 2)))
            if resume < concluded:
                steps.append(Step("suspend_trial", pause, {"reason": rng.choice(TRIAL_PAUSES), "note": "不计入审限"}))
                steps.append(Step("resume_trial", resume, {"note": "鉴定意见已出具，恢复审理"}))
                cursor = resume
        if procedure == "ordinary" and span > 180 and rng.random() < 0.85:
            ext = self.between(max(cursor, received + timedelta(days=150)), received + timedelta(days=178))
            if cursor <= ext <= concluded:
                steps.append(Step("extend_trial", ext, {"reason": "案情复杂，经院长批准延长审限",
                                                        "extension_amount": 6}, role="agency_head"))
        steps.append(self._civil_conclusion(outcome, concluded))
        steps.append(Step(f"close_{outcome}", closed, {"note": "裁判文书已送达，结案归档"}))
        return Story(spec, steps)

    def _civil_conclusion(self, outcome: str, day: date) -> Step:
        rng = self.rng
        if outcome == "judgment":
            result = rng.choices(("upheld", "partly_upheld", "rejected"), weights=(30, 55, 15))[0]
            data = {"result": result, "judgment_number": f"（{day.year}）黑民初{rng.randint(1, 2000)}号"}
            if result != "rejected":
                data["damages"] = yuan(self.money(50000, 1.0))
            return Step("render_judgment", day, data)
        if outcome == "mediated":
            return Step("conclude_by_mediation", day, {"terms": "被告停止侵权并赔偿原告经济损失",
                                                       "amount": yuan(self.money(30000))})
        if outcome == "withdrawn":
            return Step("allow_withdrawal", day, {"after_settlement": rng.random() < 0.7,
                                                  "reason": "双方庭外和解，原告申请撤诉"})
        return Step("dismiss", day, {"ground": rng.choices(("dismissed", "transferred", "terminated", "other"),
                                                           weights=(50, 25, 15, 10))[0], "reason": "不符合起诉条件"})

    def _entrusted(self, start: date, end: date, org: str, *, settled: bool, ordinary: bool) -> list[Step]:
        """Mediation entrusted after filing (委托调解): 15 days under the ordinary procedure, 7 under the
        simple one, counted in the trial period; longer only with both parties' consent, recorded by
        the mediator when the period runs out (that extension is not counted in the trial period)."""
        rng, on = self.rng, ("entrusted_mediation",)
        steps = [Step("entrust_mediation" if ordinary else "entrust_mediation_simple", start,
                      {"mediation_org": org, "reason": "委托调解组织进行调解"})]
        began = min(end, start + timedelta(days=rng.randint(1, 4)))
        steps.append(Step("start_mediation", began, {"mediators": f"{rng.choice(SURNAMES)}调解员"}, on))
        session = min(end, began + timedelta(days=rng.randint(1, 8)))
        steps.append(Step("log_session", session, {"session_date": session.isoformat(),
                                                   "summary": "双方就赔偿数额进行协商"}, on))
        period = 15 if ordinary else 7
        if (end - start).days > period:
            agreed = max(session, start + timedelta(days=period - 1))
            steps.append(Step("extend_entrusted_mediation", agreed, {
                "reason": "双方当事人同意延长调解期限", "extension_amount": (end - start).days - period + 3}, on,
                role="mediator"))
        if settled:
            steps.append(Step("settle", end, {"terms": "被申请人停止侵权并赔偿", "amount": yuan(self.money(20000)),
                                              "performance_date": (end + timedelta(days=30)).isoformat()}, on))
        else:
            steps.append(Step("fail", end, {"reason": "双方对赔偿数额分歧较大",
                                            "suggested_route": "back_to_court"}, on))
        return steps

    def _performance(self, settled: date, after: date) -> list[Step]:
        on = ("entrusted_mediation",)
        late = self.rng.random() < 0.1
        performed = min(self.limit, max(after, settled + timedelta(days=self.rng.randint(31, 50) if late
                                                                   else self.rng.randint(5, 27))))
        return [Step("record_performance", performed, {"performed_on": performed.isoformat(),
                                                       "note": "已按期履行"}, on),
                Step("close_performed", performed, {"note": "回访确认履行完毕"}, on)]

    # mediation requested by the parties (§3.4), with judicial confirmation (§3.5)

    MEDIATION_ROUTES = {"declined": 8, "failed": 25, "performed": 45, "confirmed": 17, "confirmation_rejected": 2,
                        "confirmation_refused": 3}

    def mediation(self, org: AgencyRef, ip_type: str, received: date, route: str) -> Story:
        rng = self.rng
        holder, respondent = self.holder(), self.respondent("mediation_org", org.region_code, ip_type, 0.7)
        spec = CaseSpec("mediation", org, ip_type, rng.choices(("complaint", "agency_referral"), (80, 20))[0],
                        self.case_region(org), received,
                        f"{holder.name}与{respondent.name}{MEDIATION_DISPUTES[ip_type]}调解",
                        [holder, respondent], self.money(60000) if rng.random() < 0.6 else None)
        if route == "declined":
            return Story(spec, [Step("decline", self.later(received, 1, 5), {
                "ground": rng.choice(("other_party_refuses", "in_court_or_arbitration", "ownership_or_validity")),
                "reason": "不符合受理条件"}, role="agency_head")])
        steps = [Step("accept", self.later(received, 1, 5), {"note": "双方同意调解"})]
        if route == "failed" and rng.random() < 0.2:
            steps.append(Step("fail", self.later(steps[-1].day, 3, 20), {
                "reason": "被申请人拒绝参加调解", "suggested_route": "litigation"}))
            return Story(spec, steps)
        day = self.later(steps[-1].day, 1, 7)
        steps.append(Step("start_mediation", day, {"mediators": f"{rng.choice(SURNAMES)}调解员"}))
        for _ in range(rng.randint(1, 3)):
            day = self.later(day, 3, 15)
            steps.append(Step("log_session", day, {"session_date": day.isoformat(), "summary": "组织双方面对面协商"}))
        day = self.later(day, 3, 20)
        if route == "failed":
            steps.append(Step("fail", day, {"reason": "双方分歧较大，调解不成", "suggested_route": rng.choice(
                ("litigation", "litigation", "arbitration", "administrative_ruling"))}))
            return Story(spec, steps)
        steps.append(Step("settle", day, {"terms": "被申请人停止使用并支付许可费", "amount": yuan(self.money(40000)),
                                          "performance_date": (day + timedelta(days=30)).isoformat()}))
        if route == "performed":
            day = self.later(day, 5, 27) if rng.random() < 0.85 else self.later(day, 31, 60)
            steps.append(Step("record_performance", day, {"performed_on": day.isoformat(), "note": "已履行完毕"}))
            steps.append(Step("close_performed", self.later(day, 0, 10), {"note": "回访确认"}))
            return Story(spec, steps)
        # The competent court (民事诉讼法 Art 205(2)): the intermediate court of the place (the
        # history's courts are intermediate ones; a province-wide committee's disputes go to the
        # court of the dispute's city, or Harbin's).
        city = spec.region.code if org.region_code == "230000" else org.region_code
        court = self.agencies[f"{'230100' if city == '230000' else city}-court"]
        day = self.later(day, 1, 25) if rng.random() < 0.95 else day + timedelta(days=rng.randint(31, 40))
        steps.append(Step("apply_confirmation", day, {"court": court.code, "reason": "双方共同申请司法确认"}))
        on = ("judicial_confirmation",)
        if route == "confirmation_refused":
            steps.append(Step("refuse", day + timedelta(days=rng.randint(1, 3)), {
                "ground": rng.choice(("not_competent", "ip_ownership_or_validity", "not_joint_or_late")),
                "reason": "不符合司法确认受理条件"}, on))
            return Story(spec, steps)
        day += timedelta(days=rng.choice((0, 1, 2, 3, 3, 5)))
        steps.append(Step("accept", day, {"note": "予以受理"}, on))
        day += timedelta(days=rng.randint(0, 3))
        steps.append(Step("start_review", day, {"judge": f"{rng.choice(SURNAMES)}法官"}, on))
        day += timedelta(days=rng.randint(3, 14) if rng.random() < 0.95 else rng.randint(16, 22))
        if route == "confirmed":
            steps.append(Step("confirm", day, {"ruling_number": f"（{day.year}）黑民特{rng.randint(1, 900)}号"}, on))
            steps.append(Step("close_confirmed", day + timedelta(days=rng.randint(1, 10)),
                              {"note": "裁定书已送达"}, on))
        else:
            steps.append(Step("reject", day, {"ground": rng.choice(("violates_law", "unclear", "not_voluntary")),
                                              "ruling_number": f"（{day.year}）黑民特{rng.randint(1, 900)}号"}, on))
            steps.append(Step("close_rejected", day + timedelta(days=rng.randint(1, 10)), {"note": "裁定书已送达"}, on))
        return Story(spec, steps)

    # patent-dispute administrative rulings (§3.2)

    PATENT_ROUTES = {"declined": 10, "ruled": 55, "settled": 20, "withdrawn": 15}

    def patent_ruling(self, office: AgencyRef, ip_type: str, received: date, route: str) -> Story:
        rng = self.rng
        holder, respondent = self.holder(), self.respondent("ip_office", office.region_code, ip_type, 0.85)
        spec = CaseSpec("patent_ruling", office, ip_type, "complaint", self.case_region(office), received,
                        f"{holder.name}请求处理{respondent.name}侵犯{PATENT_ZH[ip_type]}专利权纠纷案",
                        [holder, respondent])
        steps = []
        if rng.random() < 0.05:
            steps.append(Step("extend_filing", self.wd(received, 3, 4), {"reason": "案情特别复杂",
                                                                          "extension_amount": 5}))
        day = self.wd(steps[-1].day if steps else received, 2, 5)
        if route == "declined":
            return Story(spec, steps + [Step("decline_to_file", day, {
                "ground": rng.choice(("not_patentee", "in_court", "not_competent", "no_claims")),
                "reason": "不符合立案条件，已通知请求人"})])
        steps.append(Step("file_case", day, {"panel": "合议组三人", "note": "符合立案条件"}))
        filed = day
        day = self.wd(day, 1, 5)
        abroad = rng.random() < 0.07
        steps.append(Step("serve_on_respondent", day, {"respondent_domicile": "abroad" if abroad else "domestic",
                                                       "service_method": rng.choice(("direct", "post", "electronic"))}))
        day = self.later(day, 5, 28 if abroad else 14)
        steps.append(Step("receive_answer", day, {"note": "被请求人提交答辩书，主张现有技术抗辩"}))
        if route == "withdrawn" and rng.random() < 0.5:
            day = self.later(day, 2, 20)
            steps += [Step("withdraw", day, {"reason": "双方和解，请求人撤回请求"}),
                      Step("close_withdrawn", self.later(day, 1, 10), {"note": "撤回结案"})]
            return Story(spec, steps)
        day = self.later(day, 5, 20)
        steps.append(Step("schedule_hearing", day, {"hearing_mode": rng.choice(("on_site", "on_site", "remote")),
                                                    "hearing_date": "口头审理定于通知后第五个工作日"}))
        if rng.random() < 0.08:
            day = self.later(day, 2, 10)
            steps.append(Step("suspend_proceedings", day, {"reason": rng.choice(("suspension", "appraisal")),
                                                           "note": "无效宣告请求已受理"}))
            day = self.later(day, 15, 60)
            steps.append(Step("resume_proceedings", day, {"note": "恢复审理"}))
        if route == "withdrawn":
            day = self.later(day, 2, 20)
            steps += [Step("withdraw", day, {"reason": "双方和解，请求人撤回请求"}),
                      Step("close_withdrawn", self.later(day, 1, 10), {"note": "撤回结案"})]
        elif route == "settled":
            day = self.later(day, 3, 15)
            steps.append(Step("start_mediation", day, {"note": "双方同意调解"}))
            day = self.later(day, 5, 30)
            steps += [Step("settle", day, {"terms": "被请求人停止制造、销售并赔偿", "amount": yuan(self.money(80000))}),
                      Step("close_settled", self.later(day, 1, 15), {"note": "已履行"})]
        else:
            day = max(self.later(day, 5, 20), self.work(filed + timedelta(days=rng.randint(40, 88))))
            ruling = rng.choices(("infringement_found", "request_rejected"), (80, 20))[0]
            steps.append(Step("rule", day, {"ruling": ruling, "reasons": "被控侵权产品落入专利权保护范围"}))
            day = self.wd(day, 3, 18)
            steps += [Step("publish", day, {"note": "已在门户网站公开"}),
                      Step("close_ruled", self.later(day, 1, 20), {"note": "当事人已履行裁决"})]
        return Story(spec, steps)

    # copyright inspections (reported figures)

