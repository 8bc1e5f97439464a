"""``dumps_organisation`` round-trips: the TOML it writes loads back to an equal organisation, whatever the text
(quotes, backslashes, Chinese, control characters, DEL), so an organisation read from CSV files is stored whole."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.organisation_files import dumps_organisation, loads_organisation
from complaint_core.organisation import Department, DepartmentKind, GroupUnit, Organisation, Person

# names as the loaders keep them: stripped and not empty
TEXT = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12).map(str.strip).filter(bool)
)
TRICKY = st.sampled_from(
    ['a"b', "a\\b", "\x7f", "制造部", "x\x00y", "tab\tin", "'single'", "a\\u0041", "#not a comment"]
)
NAMES = st.one_of(TEXT, TRICKY)


@st.composite
def organisations(draw: st.DrawFn) -> Organisation:
    codes = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    departments = tuple(Department(c, draw(NAMES), draw(st.sampled_from(DepartmentKind))) for c in codes)
    unit_codes = draw(st.lists(NAMES, max_size=3, unique=True))
    units = tuple(GroupUnit(c, draw(NAMES), draw(st.sampled_from(codes))) for c in unit_codes)
    people: list[Person] = []
    for person_id in draw(st.lists(NAMES, min_size=1, max_size=5, unique=True)):
        unit = draw(st.none() | st.sampled_from(units)) if units else None
        department = unit.department if unit is not None else draw(st.sampled_from(codes))
        supervisor = draw(st.none() | st.sampled_from([p.id for p in people])) if people else None
        people.append(
            Person(
                id=person_id,
                name=draw(NAMES),
                department=department,
                unit=unit.code if unit is not None else None,
                supervisor=supervisor,
                basis_points=draw(st.integers(0, 10**6)),
            )
        )
    bonuses = {
        (draw(st.sampled_from([p.id for p in people])), f"{year:04d}-{month:02d}"): Decimal(fen) / 100
        for year, month, fen in draw(
            st.lists(st.tuples(st.integers(2000, 2099), st.integers(1, 12), st.integers(0, 10**9)), max_size=4)
        )
    }
    return Organisation(departments=departments, units=units, people=tuple(people), bonuses=bonuses)


@settings(max_examples=150)
@given(organisations(), st.text(max_size=40))
def test_dumped_toml_loads_back_equal(org: Organisation, comment: str) -> None:
    text = dumps_organisation(org, comment=comment)
    assert loads_organisation(text, "dumped") == org
