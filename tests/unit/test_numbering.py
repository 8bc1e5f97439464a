"""DOMAIN §6.1: case-number formats (P1-NUM-01/02, P2-NUM-01/02)."""

from datetime import date

import pytest

from complaint_core import NumberingRule, NumberReset, PolicyInvalid, format_number, period_key
from complaint_core.policy import validate_template

P1 = NumberingRule(template="{yy}{mm}{seq:02}", reset=NumberReset.MONTHLY)
P2 = NumberingRule(template="{yy}{mm}{dd}{seq:03}", reset=NumberReset.YEARLY, assign_at="received")


def test_p1_num_01_fifth_case_of_march_2023() -> None:
    assert format_number(P1, date(2023, 3, 14), 5) == "230305"


def test_p1_num_02_serial_restarts_monthly() -> None:
    assert period_key(P1, date(2023, 3, 31)) != period_key(P1, date(2023, 4, 1))
    assert period_key(P1, date(2023, 3, 1)) == period_key(P1, date(2023, 3, 31))


def test_p2_num_01_99th_complaint_of_the_year_taken_on_12_september() -> None:
    assert format_number(P2, date(2023, 9, 12), 99) == "230912099"


def test_p2_num_02_serial_runs_across_the_whole_year() -> None:
    assert period_key(P2, date(2023, 1, 1)) == period_key(P2, date(2023, 12, 31)) == "2023"


def test_serial_widens_instead_of_overflowing() -> None:
    assert format_number(P1, date(2023, 3, 1), 100) == "2303100"
    assert format_number(P2, date(2023, 9, 12), 1000) == "2309121000"


def test_never_reset_and_four_digit_year() -> None:
    rule = NumberingRule(template="TS-{yyyy}-{seq:05}", reset=NumberReset.NEVER)
    assert format_number(rule, date(2026, 1, 2), 42) == "TS-2026-00042"
    assert period_key(rule, date(2026, 1, 2)) == period_key(rule, date(2031, 5, 5)) == "all"


@pytest.mark.parametrize(
    "template", ["{yy}{mm}", "{seq:3}", "{yy}{seq}{seq}", "{yy}{week}{seq}", "{seq:x}", "{yy:02}{seq}", "{seq"]
)
def test_bad_templates_are_refused(template: str) -> None:
    with pytest.raises(PolicyInvalid) as err:
        validate_template(template, "numbering.template")
    assert err.value.path == "numbering.template"


def test_serial_must_be_positive() -> None:
    with pytest.raises(ValueError):
        format_number(P1, date(2023, 3, 1), 0)
