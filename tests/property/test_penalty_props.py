"""Invariants of the penalty assessment (DOMAIN §7): exact to the fen, whatever the split."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from complaint_core import Party, PartyKind, Responsibility, apportion
from complaint_core.labels import Labels
from complaint_core.organisation import Department, DepartmentKind, GroupUnit, Organisation, Person
from complaint_core.penalty import LineKind, PenaltyLine, apportion_loss, doubled, with_supervisors
from complaint_core.policy import PenaltyRules, SupervisorMode
from complaint_core.responsibility import FaultShare

FEN = Decimal("0.01")
totals = st.integers(0, 10**9).map(lambda fen: Decimal(fen) / 100)
amounts = st.integers(0, 10**7).map(lambda fen: Decimal(fen) / 100)


@given(total=totals, weights=st.lists(st.integers(1, 10**6), min_size=1, max_size=1000))
def test_apportion_up_to_1000_parties_and_a_billion_fen(total: Decimal, weights: list[int]) -> None:
    """P1-PEN-02 / P1-PEN-10: parts add up to the total and each is within a fen of its exact share."""
    parts = apportion(total, weights)
    assert sum(parts) == total and len(parts) == len(weights)
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total) * weight / whole
        assert abs(Fraction(part) - exact) < Fraction(1, 100)


def organisation(points: list[int]) -> Organisation:
    return Organisation(
        departments=(Department("mfg", "制造部", DepartmentKind.MANUFACTURING),),
        units=(GroupUnit("u", "一班", "mfg"),),
        people=(
            Person(id="boss", name="主任", department="mfg", basis_points=0),
            *(
                Person(id=f"P{i}", name=f"P{i}", department="mfg", unit="u", supervisor="boss", basis_points=bp)
                for i, bp in enumerate(points)
            ),
        ),
    )


@given(
    loss=amounts,
    points=st.lists(st.integers(1, 100), min_size=1, max_size=30),
    external=st.integers(0, 99),
)
def test_loss_lines_add_up_to_the_loss(loss: Decimal, points: list[int], external: int) -> None:
    """P1-PEN-02 then P1-PEN-10: what people pay plus what external parties are reported for is the loss."""
    org = organisation(points)
    shares = [FaultShare(Party(PartyKind.GROUP_UNIT, "u"), Decimal(100 - external) / 100)]
    if external:
        shares.append(FaultShare(Party(PartyKind.SUPPLIER, "s"), Decimal(external) / 100))
    lines = apportion_loss(loss, Responsibility(tuple(shares)), org)
    reported = sum(Decimal(dict(line.basis)["share_amount"]) for line in lines if line.kind is LineKind.REPORTED)
    deducted = sum(line.amount for line in lines if line.kind is not LineKind.REPORTED)
    assert deducted + reported == loss
    assert all(line.amount >= 0 and line.amount == line.amount.quantize(FEN) for line in lines)


def line_for(person: str, amount: Decimal, points: int) -> PenaltyLine:
    return PenaltyLine(
        party=Party(PartyKind.PERSON, person),
        rule_id="T",
        kind=LineKind.TIER,
        amount=amount,
        points=points,
        explanation=Labels("x", "x"),
    )


@given(st.lists(st.tuples(amounts, st.integers(-20, 0)), min_size=1, max_size=20), st.integers(1, 4))
def test_doubling_is_exact(rows: list[tuple[Decimal, int]], factor: int) -> None:
    """P4-PEN-06: a second complaint multiplies every amount and every point exactly."""
    lines = [line_for("P0", amount, points) for amount, points in rows]
    out = doubled(lines, factor)
    assert [(line.amount, line.points) for line in out] == [(a * factor, p * factor) for a, p in rows]


@given(amount=amounts, mode=st.sampled_from(SupervisorMode), share=st.integers(1, 99))
def test_supervisor_liability(amount: Decimal, mode: SupervisorMode, share: int) -> None:
    """P4-PEN-04: split keeps the total exact; additive adds the rounded share on top."""
    org = organisation([10])
    rules = PenaltyRules(supervisor_share=Decimal(share) / 100, supervisor_mode=mode)
    out = with_supervisors([line_for("P0", amount, 0)], org, rules)
    if not amount:
        assert len(out) == 1
        return
    own, boss = out
    assert boss.party.id == "boss" and boss.kind is LineKind.SUPERVISOR
    if mode is SupervisorMode.SPLIT:
        assert own.amount + boss.amount == amount
    else:
        assert own.amount == amount
    assert abs(boss.amount - amount * Decimal(share) / 100) <= Decimal("0.005")
