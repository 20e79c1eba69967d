"""Provisional holidays for a year whose State Council notice is not loaded (LEGAL-TIME-LIMITS §8).

《全国年节及纪念日放假办法》 as revised by 《国务院关于修改〈全国年节及纪念日放假办法〉的决定》
(国务院令第795号, published 2024-11-10, in force 2025-01-01), Art 2, fixes the days every citizen has
off (全体公民放假的节日), 13 a year:

    （一）新年，放假1天（1月1日）；
    （二）春节，放假4天（农历除夕、正月初一至初三）；
    （三）清明节，放假1天（农历清明当日）；
    （四）劳动节，放假2天（5月1日、2日）；
    （五）端午节，放假1天（农历端午当日）；
    （六）中秋节，放假1天（农历中秋当日）；
    （七）国庆节，放假3天（10月1日至3日）。

Text checked against third-party transcriptions of the decision and of the revised 办法 (the
decision amends items (二) and (四) and adds Art 7; the other items are those of the 2013 text,
国务院令第644号); the official text is at gov.cn (zhengce/content/202411/content_6986380.htm), not
read here. See docs/legal-time-limits.md §8.

What the rules do NOT fix, and so is never derived here:

- Art 6: a holiday that falls on a Saturday or Sunday is made up (补假) on a working day, but the
  办法 does not say which one: that day comes from the year's notice.
- Art 7: 调休 — weekdays swapped to rest and the weekend days worked in exchange (make-up working
  days, 调休上班) — are set by each year's notice only.

So a derived year has the statutory days and nothing else: no make-up working days, no 补假, no
swapped rest days. Every date counted over it is provisional (its year is not "confirmed") until
the notice is imported with ``flask calendar import``.

Lunar dates and the 清明 solar term come from ``lunar_python`` (pure Python, no dependencies; its
solar terms are computed astronomically for Beijing time). 清明 is the day the 清明 term begins.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from lunar_python import Lunar

# The revision in force from this year; earlier years had other rules (3 days of Spring Festival,
# 1 of Labour Day) and are all in the chinesecalendar package, so nothing earlier is derived.
RULES_FROM = 2025
RULES_CITATION = "全国年节及纪念日放假办法 (国务院令第795号, 2024) Art 2"

# Names as the chinesecalendar package spells them in Chinese, so derived and loaded days read alike.
NEW_YEAR, SPRING_FESTIVAL, QINGMING, LABOUR_DAY = "元旦", "春节", "清明", "劳动节"
DRAGON_BOAT, MID_AUTUMN, NATIONAL_DAY = "端午", "中秋", "国庆节"


def _day(solar) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> date:
    """The day the 清明 solar term begins in ``year`` (4 or 5 April, Beijing time)."""
    # The table of lunar year ``year`` runs from its winter solstice to the next one's; its 清明 is
    # the Gregorian year's.
    day = _day(Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"])
    if (day.year, day.month) != (year, 4):  # pragma: no cover - the library's own invariant
        raise ValueError(f"清明 of {year} found on {day}")
    return day


@cache
def statutory_holidays(year: int) -> tuple[tuple[date, str], ...]:
    """``year``'s statutory holidays under the 2024 rules, sorted: ((day, name), ...).

    Empty for a year before the rules applied. A day two festivals share (中秋 on 1–3 October, as
    on 2028-10-03) is one day off, listed as 国庆节. Computed once per year per process.
    """
    if year < RULES_FROM:
        return ()
    spring = _day(Lunar.fromYmd(year, 1, 1).getSolar())  # 正月初一 always falls in late Jan–Feb
    days: dict[date, str] = {date(year, 1, 1): NEW_YEAR}
    for offset in range(-1, 3):  # 除夕 (the day before 初一, whether 腊月廿九 or 三十) to 初三
        days.setdefault(spring + timedelta(days=offset), SPRING_FESTIVAL)
    days.setdefault(_qingming(year), QINGMING)
    days.setdefault(date(year, 5, 1), LABOUR_DAY)
    days.setdefault(date(year, 5, 2), LABOUR_DAY)
    days.setdefault(_day(Lunar.fromYmd(year, 5, 5).getSolar()), DRAGON_BOAT)
    for day in (1, 2, 3):
        days.setdefault(date(year, 10, day), NATIONAL_DAY)
    days.setdefault(_day(Lunar.fromYmd(year, 8, 15).getSolar()), MID_AUTUMN)
    return tuple(sorted(days.items()))
