"""Check characters of 统一社会信用代码 (GB 32100-2015) and resident ID numbers (GB 11643)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from casesys.cases.identifiers import (
    USCC_ALPHABET,
    id_number_problem,
    uscc_check_character,
    uscc_problem,
)

bodies = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


def test_known_codes():
    assert uscc_problem("91350100M000100Y43") is None
    assert uscc_problem("91350100M000100Y44") is not None
    assert uscc_problem("91350100M000100Y4") is not None
    assert "I" in uscc_problem("91350100I000100Y43")
    assert id_number_problem("11010519491231002X") is None
    assert id_number_problem("110105194912310021") is not None


@given(bodies)
def test_a_computed_check_character_validates(body):
    assert uscc_problem(body + uscc_check_character(body)) is None


@given(bodies, st.integers(min_value=0, max_value=16), st.sampled_from(USCC_ALPHABET))
def test_any_single_substitution_is_detected(body, position, replacement):
    code = body + uscc_check_character(body)
    changed = code[:position] + replacement + code[position + 1:]
    if changed != code:
        assert uscc_problem(changed) is not None
