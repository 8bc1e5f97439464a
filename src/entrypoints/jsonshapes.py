"""The JSON shapes of the CLI (and of anything else that prints domain objects): pure functions to plain dicts.

Conventions (docs/cli.md, "JSON"): keys snake_case; money as a string with two
decimals ("700.00"); instants as UTC ISO-8601 with ``Z``; dates ``YYYY-MM-DD``;
enums as their value; labels as ``{"zh": …, "en": …}``; an absent value is
``null`` (keys are always present, so consumers never test for a missing key).
Kept apart from the CLI so the webhook app and tests produce the very same shapes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, overload

from complaint_core.money import MAX_QUANTITY
from complaint_core.timeutil import utc_z

if TYPE_CHECKING:
    from complaint_core.calendar import WorkingCalendar
    from complaint_core.case import Case
    from complaint_core.improvement import Improvement
    from complaint_core.intake import ProductLine
    from complaint_core.labels import Labels
    from complaint_core.ledger import LedgerEntry, MonthClose, PersonMonth
    from complaint_core.penalty import PenaltyLine
    from complaint_core.policy import Policy
    from complaint_core.responsibility import Party, Responsibility

JSON = dict[str, Any]
_FEN = Decimal("0.01")


@overload
def money_str(value: Decimal | int) -> str: ...
@overload
def money_str(value: None) -> None: ...
def money_str(value: Decimal | int | None) -> str | None:
    """Decimal yuan, or integer fen (as stored in the database), as "1234.50"; ``None`` stays ``None``.

    A Decimal with more than two decimals is an error, never rounded away.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    if isinstance(value, int):
        return f"{Decimal(value).scaleb(-2):.2f}"
    quantized = value.quantize(_FEN)
    if quantized != value:
        raise ValueError(f"{value} has more than two decimal places")
    return f"{quantized:.2f}"


@overload
def utc_iso(value: datetime) -> str: ...
@overload
def utc_iso(value: None) -> None: ...
def utc_iso(value: datetime | None) -> str | None:
    """An aware datetime as UTC ISO-8601 with ``Z`` ("2026-11-02T01:00:00Z"; microseconds only when set)."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()} is naive; instants leave the program in UTC")
    return utc_z(value)


def date_str(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def labels_json(labels: Labels | None) -> JSON | None:
    return None if labels is None else {"zh": labels.zh, "en": labels.en}


def party_json(party: Party | None) -> JSON | None:
    if party is None:
        return None
    return {"kind": party.kind.value, "id": party.id, "name": party.name}


def shares_json(responsibility: Responsibility | None) -> list[JSON] | None:
    if responsibility is None:
        return None
    return [{"party": party_json(s.party), "share": str(s.share)} for s in responsibility.shares]


def policy_ref(policy_id: str, version: int) -> JSON:
    return {"id": policy_id, "version": version}


# ----- case ---------------------------------------------------------------------------------------
def clocks_json(case: Case, policy: Policy, calendar: WorkingCalendar | None, *, as_of: datetime) -> list[JSON]:
    """Every clock the case has started, with its deadline under ``policy`` and whether it is overdue at ``as_of``.

    A clock the policy has no rule for (e.g. after a policy change) has ``due_at`` null.
    """
    from complaint_core.clocks import compute_deadline

    out = []
    for state, rule in case.clock_rules(policy):
        deadline = compute_deadline(rule, state, calendar=calendar, tz=policy.tz, as_of=as_of) if rule else None
        due = deadline.due if deadline is not None else None
        out.append(
            {
                "name": state.name,
                "label": labels_json(rule.label) if rule else None,
                "rule": rule.rule_id if rule else None,
                "started_at": utc_iso(state.started_at),
                "due_at": utc_iso(due),
                "stopped_at": utc_iso(state.stopped_at),
                "paused": state.paused,
                "level": state.level,
                "overdue": deadline.overdue_at(as_of) if deadline is not None else False,
                "warnings": list(deadline.warnings) if deadline is not None else [],
            }
        )
    return out


def case_json(
    case: Case,
    policy: Policy,
    calendar: WorkingCalendar | None,
    *,
    as_of: datetime,
    parent_number: str | None = None,
) -> JSON:
    """One case as documented in docs/cli.md ("case"). ``parent_number`` is the parent case's number, if any
    (the case only knows the parent's id); ``as_of`` decides ``overdue`` and counts an open pause up to then."""
    intake = case.intake
    remedy = case.remedy
    approval = case.approval
    reply = case.reply
    return {
        "id": str(case.case_id),
        "number": case.number,
        "status": case.status.value,
        "policy": policy_ref(case.policy_id, case.policy_version),
        "customer": intake.customer,
        "category": intake.category,
        "kind": intake.kind.value,
        "market": intake.market.value,
        "channel": intake.channel.value,
        "complainant_kind": intake.complainant_kind.value,
        "severity": case.severity,
        "major": case.major,
        "description": intake.description,
        "cause": intake.cause_code,
        "flags": sorted(intake.flags),
        "details": dict(intake.details),
        "products": [product_json(line) for line in intake.lines],
        "received_at": utc_iso(case.received_at),
        "amount": money_str(intake.claimed_amount),
        "clocks": clocks_json(case, policy, calendar, as_of=as_of),
        "handler": party_json(case.handler),
        "responsibility": {
            "no_fault": case.no_fault,
            "causer": shares_json(case.causer),
            "delay": shares_json(case.delay),
        },
        "validity": None
        if case.validity is None
        else {
            "reason_sufficient": case.validity.reason_sufficient,
            "request_reasonable": case.validity.request_reasonable,
        },
        "remedy": None
        if remedy is None
        else {"kind": remedy.kind.value, "amount": money_str(remedy.amount), "note": remedy.note},
        "approval": None
        if approval is None
        else {"role": approval.role, "approver": approval.approver, "at": utc_iso(approval.at)},
        "reply": None
        if reply is None
        else {"message": reply.message, "reaction": reply.reaction, "at": utc_iso(reply.at)},
        "not_established_reason": case.not_established_reason,
        "milestones": [{"name": m.name, "at": utc_iso(m.at)} for m in case.milestones],
        "meeting": None
        if case.meeting is None
        else {
            "attendees": list(case.meeting.attendees),
            "minutes": case.meeting.minutes,
            "at": utc_iso(case.meeting.at),
        },
        "improvements": [improvement_json(i, as_of) for i in case.improvements],
        "parent_number": parent_number,
        "repeat_count": case.repeat_count,
        "delay_days": case.delay_days,
        "steps": [
            {"status": s.status.value, "at": utc_iso(s.at), "actor": s.actor, "reason": s.reason} for s in case.steps
        ],
        "version": case.version,
    }


def product_json(line: ProductLine) -> JSON:
    """A product line under the keys ``case open --product`` takes, in the form it takes them (quantities as plain
    decimal strings); null when not given (requested null: 客户加工中未确定, P1-LC-02)."""

    def quantity(value: Decimal | None) -> str | None:
        if value is None:
            return None
        # 1000, not 1E+3: what --product takes; a value above the bound, stored before it, as it is (a billion digits
        # written out would take minutes and gigabytes)
        return format(value, "f") if value <= MAX_QUANTITY else str(value)

    return {
        "order": line.order_no or None,
        "part": line.part_no or None,
        "shipped": None if line.shipped_on is None else line.shipped_on.isoformat(),
        "qty": quantity(line.quantity),
        "defective": quantity(line.defective_quantity),
        "requested": quantity(line.requested_quantity),
    }


def improvement_json(improvement: Improvement, as_of: datetime) -> JSON:
    """One corrective action of a case; ``overdue`` as of ``as_of`` (tracked, unchecked, past its due)."""
    i = improvement
    return {
        "number": i.number,
        "measures": i.measures,
        "owner": i.owner,
        "supervisor": i.supervisor,
        "tracked": i.tracked,
        "due_at": utc_iso(i.due),
        "planned_at": utc_iso(i.planned_at),
        "planned_by": i.planned_by,
        "verified_at": utc_iso(i.verified_at),
        "verified_by": i.verified_by,
        "effective": i.effective,
        "note": i.note,
        "overdue": i.overdue(as_of),
    }


# ----- penalties and the ledger -------------------------------------------------------------------
def penalty_line_json(line: PenaltyLine, *, case_number: str | None) -> JSON:
    """One penalty line. ``person`` is the person's id, or null when the line is on a unit, a department or an
    external party (``party`` says which); ``basis`` is the figures the amount was computed from."""
    from complaint_core.responsibility import PartyKind

    return {
        "person": line.party.id if line.party.kind is PartyKind.PERSON else None,
        "party": party_json(line.party),
        "case_number": case_number,
        "rule": line.rule_id,
        "kind": line.kind.value,
        "basis": dict(line.basis),
        "amount": money_str(line.amount),
        "points": line.points,
        "capped": line.capped,
        "explanation": labels_json(line.explanation),
    }


def ledger_row_json(row: PersonMonth, month: str) -> JSON:
    """One person's line of a closed month. ``deducted`` is the capped deduction (never above ``cap``),
    ``deducted_uncapped`` the major-demerit part; ``deducted_total`` is what leaves the pay slip."""
    return {
        "person": row.person_id,
        "month": month,
        "bonus": money_str(row.bonus),
        "cap": money_str(row.cap),
        "carried_in": money_str(row.carry_in),
        "posted": money_str(row.posted),
        "reversed": money_str(row.reversed),
        "due": money_str(row.due),
        "deducted": money_str(row.deducted),
        "deducted_uncapped": money_str(row.deducted_uncapped),
        "deducted_total": money_str(row.deducted_total),
        "refunded": money_str(row.refunded),
        "carried_out": money_str(row.carry_out),
        "points": row.points,
    }


def ledger_entry_json(entry: LedgerEntry) -> JSON:
    return {
        "seq": entry.seq,
        "kind": entry.kind.value,
        "person": entry.person_id,
        "month": entry.month,
        "case_id": str(entry.case_id),
        "line_id": entry.line_id,
        "rule": entry.rule_id,
        "amount": money_str(entry.amount),
        "points": entry.points,
        "capped": entry.capped,
        "note": entry.note,
    }


def month_close_json(close: MonthClose) -> JSON:
    return {
        "month": close.month,
        "cap_ratio": None if close.cap_ratio is None else str(close.cap_ratio),
        "people": [ledger_row_json(row, close.month) for row in close.people],
        "lines": [ledger_entry_json(entry) for entry in close.lines],
    }


# ----- calendars ----------------------------------------------------------------------------------
def day_kind(calendar: WorkingCalendar, day: date) -> str:
    """Why ``day`` is or is not worked: weekday, weekend, holiday (a weekday off) or makeup_workday (调休)."""
    working = calendar.is_working_day(day)
    weekend = day.weekday() >= 5
    if working:
        return "makeup_workday" if weekend else "weekday"
    return "weekend" if weekend else "holiday"


def add_days_json(start: date, days: int, result: date, *, working: bool, calendar: str, estimated: bool) -> JSON:
    return {
        "date": result.isoformat(),
        "start": start.isoformat(),
        "days": days,
        "working": working,
        "calendar": calendar,
        "estimated": estimated,
    }


def workday_json(calendar: WorkingCalendar, day: date) -> JSON:
    return {
        "date": day.isoformat(),
        "workday": calendar.is_working_day(day),
        "kind": day_kind(calendar, day),
        "calendar": calendar.name,
        "estimated": calendar.is_estimated(day),
    }


def calendar_json(calendar: WorkingCalendar, sources: list[str]) -> JSON:
    estimated_from = getattr(calendar, "estimated_from", None)
    return {
        "name": calendar.name,
        "first": calendar.first.isoformat(),
        "last": calendar.last.isoformat(),
        "estimated_from": date_str(estimated_from),
        "sources": sources,
    }
