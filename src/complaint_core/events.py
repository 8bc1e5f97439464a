"""Domain events: frozen, past tense, one per accepted command.

Every event carries ``aggregate_id``, ``version`` (the aggregate's version after
it) and ``occurred_at`` (aware UTC). ``EVENT_TYPE`` is the stable wire name used
by the outbox and webhooks.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

import attrs

from .labels import Labels
from .responsibility import Party, Responsibility
from .validity import Validity


@attrs.frozen(kw_only=True, slots=False)
class DomainEvent:
    EVENT_TYPE: ClassVar[str]  # each concrete event names itself; the bases have no wire name
    aggregate_id: UUID
    version: int
    occurred_at: datetime
    actor: str


@attrs.frozen(kw_only=True, slots=False)
class Transitioned(DomainEvent):
    """Base of events that move the case to another lifecycle state."""

    to_status: str
    clocks_started: tuple[str, ...] = ()
    clocks_stopped: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, slots=False)
class CaseReceived(Transitioned):
    EVENT_TYPE: ClassVar[str] = "case.received"
    number: str | None = None
    policy_id: str
    policy_version: int
    parent_case_id: UUID | None = None
    repeat_count: int = 0  # earlier complaints on the same issue (P4-CLS-04): the second-complaint chain, or more


@attrs.frozen(kw_only=True, slots=False)
class CaseRegistered(Transitioned):
    EVENT_TYPE: ClassVar[str] = "case.registered"
    number: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class InvestigationStarted(Transitioned):
    EVENT_TYPE: ClassVar[str] = "case.investigation_started"


@attrs.frozen(kw_only=True, slots=False)
class ResponsibilityAttributed(Transitioned):
    EVENT_TYPE: ClassVar[str] = "case.responsibility_attributed"
    handler: Party | None
    causer: Responsibility | None
    delay: Responsibility | None
    no_fault: bool
    cause_code: str | None = None  # the root cause found (Pareto of causes, DOMAIN §10); None keeps the intake's
    validity: Validity | None = None  # P3-CLS-03


@attrs.frozen(kw_only=True, slots=False)
class RemedyProposed(Transitioned):
    EVENT_TYPE: ClassVar[str] = "case.remedy_proposed"
    remedy_kind: str
    amount: Decimal
    note: str = ""


@attrs.frozen(kw_only=True, slots=False)
class RemedyApproved(Transitioned):
    EVENT_TYPE: ClassVar[str] = "case.remedy_approved"
    role: str
    remedy_kind: str
    amount: Decimal


@attrs.frozen(kw_only=True, slots=False)
class CustomerReplied(Transitioned):
    EVENT_TYPE: ClassVar[str] = "case.customer_replied"
    message: str
    reaction: str


@attrs.frozen(kw_only=True, slots=False)
class CaseClosed(Transitioned):
    EVENT_TYPE: ClassVar[str] = "case.closed"


@attrs.frozen(kw_only=True, slots=False)
class CaseSettled(Transitioned):
    EVENT_TYPE: ClassVar[str] = "case.settled"


@attrs.frozen(kw_only=True, slots=False)
class FoundNotEstablished(Transitioned):
    EVENT_TYPE: ClassVar[str] = "case.not_established"
    reason: str
    validity: Validity | None = None  # P3-CLS-03


@attrs.frozen(kw_only=True, slots=False)
class PetitionFiled(Transitioned):
    EVENT_TYPE: ClassVar[str] = "case.petition_filed"
    department: str
    reason: str


@attrs.frozen(kw_only=True, slots=False)
class MilestoneReached(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "case.milestone_reached"
    milestone: str
    clocks_started: tuple[str, ...] = ()
    clocks_stopped: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, slots=False)
class SeverityClassified(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "case.severity_classified"
    severity: str
    reason: str = ""
    delay_days: int = 0  # P4-CLS-04: the work delay counted; the case keeps it for later classifications
    major: bool = False  # the severity makes the case a major complaint: flagged, as by MajorComplaintFlagged
    clocks_started: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, slots=False)
class ReactionRecorded(DomainEvent):
    """How the customer took the reply, learnt after it was recorded (e.g. from the CRM)."""

    EVENT_TYPE: ClassVar[str] = "case.reaction_recorded"
    reaction: str


@attrs.frozen(kw_only=True, slots=False)
class HandlerAssigned(DomainEvent):
    """Who handles the case, named before the findings (the handler may change until attribution)."""

    EVENT_TYPE: ClassVar[str] = "case.handler_assigned"
    handler: Party


@attrs.frozen(kw_only=True, slots=False)
class MajorComplaintFlagged(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "case.major_flagged"
    reason: str
    clocks_started: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, slots=False)
class EmergencyMeetingRecorded(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "case.emergency_meeting_recorded"
    attendees: tuple[str, ...]
    minutes: str


@attrs.frozen(kw_only=True, slots=False)
class ClockPaused(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "case.clock_paused"
    clock: str
    reason: str


@attrs.frozen(kw_only=True, slots=False)
class ClockResumed(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "case.clock_resumed"
    clock: str


@attrs.frozen(kw_only=True, slots=False)
class SpecialCircumstanceDeclared(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "case.special_circumstance_declared"
    clock: str
    reason: str
    approver: str


@attrs.frozen(kw_only=True, slots=False)
class PromiseRecorded(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "case.promise_recorded"
    clock: str
    due: datetime


@attrs.frozen(kw_only=True, slots=False)
class ClockEscalated(DomainEvent):
    """A ladder level fired (DOMAIN §5): a reminder, an escalation, an alert or a deemed waiver."""

    EVENT_TYPE: ClassVar[str] = "case.clock_escalated"
    clock: str
    level: int
    action: str
    target: str
    due: datetime
    # when the people are to be told: as recorded, or the next working hours when the policy holds notifications
    # (None in events stored before it was recorded)
    deliver_at: datetime | None = None


@attrs.frozen(kw_only=True, slots=False)
class InquiryIssued(DomainEvent):
    """The timeliness audit of a closed case sent an overdue inquiry (洽办单) for a late step (P1-ESC-02)."""

    EVENT_TYPE: ClassVar[str] = "case.inquiry_issued"
    clock: str
    target: str
    due: datetime
    stopped_at: datetime


@attrs.frozen(kw_only=True, slots=False)
class PolicyAdopted(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "case.policy_adopted"
    policy_version: int


@attrs.frozen(kw_only=True, slots=False)
class CauseRecorded(DomainEvent):
    """The root cause found, recorded or corrected apart from the findings (e.g. after closure, before penalties
    that depend on it: P1-CLS-08)."""

    EVENT_TYPE: ClassVar[str] = "case.cause_recorded"
    cause_code: str


@attrs.frozen(kw_only=True, slots=False)
class ImprovementPlanned(DomainEvent):
    """A corrective action decided on the case (P4-LC-03, P3-FU-03); ``tracked`` false exempts it from the check
    (P1-CLS-05)."""

    EVENT_TYPE: ClassVar[str] = "case.improvement_planned"
    number: int
    measures: str
    owner: str
    supervisor: str
    due: datetime | None
    tracked: bool


@attrs.frozen(kw_only=True, slots=False)
class ImprovementVerified(DomainEvent):
    """The effect of a corrective action checked (P1-FU-01 效果确认)."""

    EVENT_TYPE: ClassVar[str] = "case.improvement_verified"
    number: int
    effective: bool
    note: str = ""


CASE_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    CaseReceived,
    CaseRegistered,
    InvestigationStarted,
    ResponsibilityAttributed,
    RemedyProposed,
    RemedyApproved,
    CustomerReplied,
    CaseClosed,
    CaseSettled,
    FoundNotEstablished,
    PetitionFiled,
    MilestoneReached,
    SeverityClassified,
    HandlerAssigned,
    ReactionRecorded,
    MajorComplaintFlagged,
    EmergencyMeetingRecorded,
    ClockPaused,
    ClockResumed,
    SpecialCircumstanceDeclared,
    PromiseRecorded,
    ClockEscalated,
    InquiryIssued,
    PolicyAdopted,
    ImprovementPlanned,
    ImprovementVerified,
    CauseRecorded,
)


@attrs.frozen(kw_only=True, slots=False)
class AssessmentProposed(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "assessment.proposed"
    case_id: UUID
    total: Decimal


@attrs.frozen(kw_only=True, slots=False)
class AssessmentApproved(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "assessment.approved"
    role: str


@attrs.frozen(kw_only=True, slots=False)
class AssessmentReversed(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "assessment.reversed"
    reason: str


@attrs.frozen(kw_only=True, slots=False)
class AssessmentEndorsed(DomainEvent):
    """P1-APR-04: the supervisor endorsed the individual punishments' types; approval may follow."""

    EVENT_TYPE: ClassVar[str] = "assessment.endorsed"
    role: str


@attrs.frozen(kw_only=True, slots=False)
class AssessmentWithdrawn(DomainEvent):
    """A proposal that will not be approved (corrected by another, or refused by the approver): it was never
    posted, and no longer keeps its case from being settled."""

    EVENT_TYPE: ClassVar[str] = "assessment.withdrawn"
    reason: str


ASSESSMENT_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    AssessmentProposed,
    AssessmentEndorsed,
    AssessmentApproved,
    AssessmentReversed,
    AssessmentWithdrawn,
)


# What a person reads for each event of a case's audit trail (``complaint case history``); the wire name stays the
# machine's (JSON, webhooks).
EVENT_LABELS: dict[str, Labels] = {
    "case.received": Labels("受理投诉", "complaint received"),
    "case.registered": Labels("登记立案", "registered"),
    "case.investigation_started": Labels("开始调查", "investigation started"),
    "case.responsibility_attributed": Labels("认定责任", "responsibility attributed"),
    "case.remedy_proposed": Labels("拟定处理方案", "remedy proposed"),
    "case.remedy_approved": Labels("核决处理方案", "remedy approved"),
    "case.customer_replied": Labels("答复客户", "customer replied"),
    "case.closed": Labels("结案", "closed"),
    "case.settled": Labels("结清", "settled"),
    "case.not_established": Labels("认定投诉不成立", "found not established"),
    "case.petition_filed": Labels("提出签呈", "petition filed"),
    "case.milestone_reached": Labels("到达节点", "milestone reached"),
    "case.severity_classified": Labels("评定等级", "severity classified"),
    "case.handler_assigned": Labels("指定经办人", "handler assigned"),
    "case.reaction_recorded": Labels("记录客户反应", "customer's reaction recorded"),
    "case.major_flagged": Labels("标记重大投诉", "flagged as major"),
    "case.emergency_meeting_recorded": Labels("记录紧急会议", "emergency meeting recorded"),
    "case.clock_paused": Labels("时限暂停", "clock paused"),
    "case.clock_resumed": Labels("时限恢复", "clock resumed"),
    "case.special_circumstance_declared": Labels("申报特殊情况", "special circumstance declared"),
    "case.promise_recorded": Labels("记录承诺时间", "promise recorded"),
    "case.clock_escalated": Labels("超时升级", "clock escalated"),
    "case.inquiry_issued": Labels("发出超期查询", "overdue inquiry issued"),
    "case.policy_adopted": Labels("改用制度新版本", "policy version adopted"),
    "case.improvement_planned": Labels("制定改善对策", "improvement planned"),
    "case.improvement_verified": Labels("确认改善效果", "improvement verified"),
    "case.cause_recorded": Labels("记录原因", "cause recorded"),
    "assessment.proposed": Labels("提出处罚", "penalty proposed"),
    "assessment.endorsed": Labels("主管批示", "penalty endorsed"),
    "assessment.approved": Labels("核准处罚", "penalty approved"),
    "assessment.reversed": Labels("申诉撤销处罚", "penalty reversed on appeal"),
    "assessment.withdrawn": Labels("撤回处罚", "penalty withdrawn"),
}
