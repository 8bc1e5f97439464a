"""``complaint policy …``: the bundled presets, a policy's summary, and validating a policy file (no database)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .context import Language, area, settings_of
from .options import CalendarFilesOption
from .output import Texts, emit, lines, table

if TYPE_CHECKING:
    from rich.console import Console

    from complaint_core.policy import ClockCondition, Limit, Policy

DEFAULT_POLICY = "manufacturing"

TEXT = Texts(
    {
        "presets": ("策略预设", "Policy presets"),
        "preset": ("预设", "preset"),
        "title": ("名称", "name"),
        "source": ("来源", "source"),
        "version": ("版本", "version"),
        "categories": ("投诉类别", "Categories"),
        "code": ("代码", "code"),
        "label": ("名称", "label"),
        "department": ("主责部门", "department"),
        "clocks": ("时限", "Clocks"),
        "clock": ("时限", "clock"),
        "rule": ("条款", "rule"),
        "from_to": ("起止", "start → stop"),
        "limit": ("期限", "limit"),
        "when": ("适用条件", "applies when"),
        "statutory": ("遇休息日顺延", "moves past rest days"),
        "minutes": ("{n} 分钟", "{n} minutes"),
        "hours": ("{n} 小时", "{n} hours"),
        "calendar_days": ("{n} 个日历日", "{n} calendar days"),
        "working_days": ("{n} 个工作日", "{n} working days"),
        "calendar_months": ("{n} 个月", "{n} calendar months"),
        "approval": ("核决权限", "Approval"),
        "severities": ("严重程度", "Severities"),
        "major": ("重大投诉", "major complaint"),
        "milestones": ("节点(case milestone)", "Milestones (case milestone)"),
        "milestone": ("节点", "milestone"),
        "intake_fields": ("受理附加项(case open --detail)", "Intake fields (case open --detail)"),
        "field": ("项目", "field"),
        "required": ("必填", "required"),
        "yes": ("是", "yes"),
        "role": ("角色", "role"),
        "up_to": ("金额上限(元)", "up to (yuan)"),
        "no_limit": ("不限", "no limit"),
        "after": ("须先经过", "only after"),
        "none": ("无", "none"),
        "always": ("全部", "always"),
        "when_markets": ("市场", "market"),
        "when_kinds": ("类型", "kind"),
        "when_categories": ("类别", "category"),
        "when_severities": ("等级", "severity"),
        "when_channels": ("渠道", "channel"),
        "header": (
            "{name}  [{policy_id} v{version}]\n来源:{source}\n时区:{zone}  语言:{language}  日历:{calendar}{fallback}",
            "{name}  [{policy_id} v{version}]\nSource: {source}\nZone: {zone}  language: {language}  calendar: {calendar}{fallback}",
        ),
        "fallback": ("(无数据年份按周末推算)", " (weekends-only fallback)"),
        "valid": (
            "有效:{file} — 策略 {policy_id} v{version}({name}),{categories} 个类别,{clocks} 条时限,{tiers} 级核决权限",
            "valid: {file} — policy {policy_id} v{version} ({name}), {categories} categories, {clocks} clock rules, "
            "{tiers} approval tiers",
        ),
    }
)


def _condition(when: ClockCondition, policy: Policy, lang: Language) -> str:
    """What selects a clock rule, by the labels a reader knows (市场:国内; 类别:质量异常), in the policy file's
    order of keys."""
    from complaint_core.policy import CASE_KIND_LABELS, CHANNEL_LABELS
    from complaint_core.report import MARKET_LABELS

    from .case_cmd import category_label, severity_label

    named: dict[str, Callable[[Any], str]] = {
        "markets": lambda v: MARKET_LABELS[v](lang),
        "kinds": lambda v: CASE_KIND_LABELS[v](lang),
        "categories": lambda v: category_label(policy, v, lang),
        "severities": lambda v: severity_label(policy, v, lang),
        "channels": lambda v: CHANNEL_LABELS[v](lang),
    }
    parts = []
    for key, label in named.items():
        values: frozenset[Any] = getattr(when, key)
        if values:
            sep = "、" if lang == "zh" else ", "
            parts.append(f"{TEXT('when_' + key, lang)}: {sep.join(label(v) for v in sorted(values))}")
    return "; ".join(parts) if parts else TEXT("always", lang)


def _limit(limit: Limit | None, rest_day: str, lang: Language) -> Any:
    if limit is None:
        return None
    words = TEXT(limit.unit.value, lang, n=limit.amount)
    return lines(words, f"({TEXT('statutory', lang)})") if rest_day == "statutory" else words


def _summary(policy: Policy, lang: Language) -> Any:
    """The rich renderables of ``policy show``: header, categories, severities, clocks, the approval table, the
    milestones ``case milestone`` takes and the intake fields ``case open --detail`` takes."""
    from rich.console import Group
    from rich.text import Text

    from .case_cmd import step_label

    header = TEXT(
        "header",
        lang,
        name=policy.name(lang),
        policy_id=policy.policy_id,
        version=policy.version,
        source=policy.source or "-",
        zone=policy.zone,
        language=policy.language,
        calendar=policy.calendar.name,
        fallback=TEXT("fallback", lang) if policy.calendar.weekend_fallback else "",
    )
    categories = table(
        TEXT("categories", lang),
        [TEXT(k, lang) for k in ("code", "label", "department")],
        [(c.code, c.label(lang), c.department) for c in policy.categories],
    )
    clocks = table(
        TEXT("clocks", lang),
        [TEXT(k, lang) for k in ("clock", "rule", "from_to", "limit", "when")],
        [
            (
                lines(r.label(lang), r.name),
                r.rule_id or None,
                lines(step_label(r.start, policy, lang), f"→ {step_label(r.stop, policy, lang)}"),
                _limit(r.limit, r.on_rest_day.value, lang),
                _condition(r.when, policy, lang),
            )
            for r in policy.clocks
        ],
    )
    approval = table(
        TEXT("approval", lang),
        [TEXT("role", lang), TEXT("up_to", lang), TEXT("after", lang), TEXT("rule", lang)],
        [
            (
                t.role,
                f"{t.limit:,.2f}" if t.limit is not None else TEXT("no_limit", lang),
                lines(*(step_label(m, policy, lang) for m in t.after)) if t.after else None,
                t.rule_id or None,
            )
            for t in policy.approval
        ],
    )
    parts: list[Any] = [Text(header), "", categories]
    if policy.severities:
        parts.append(
            table(
                TEXT("severities", lang),
                [TEXT(k, lang) for k in ("code", "label", "major")],
                [(v.code, v.label(lang), TEXT("yes", lang) if v.major else None) for v in policy.severities],
            )
        )
    parts += [clocks, approval]
    if policy.milestone_names():
        parts.append(
            table(
                TEXT("milestones", lang),
                [TEXT("milestone", lang), TEXT("label", lang), TEXT("after", lang)],
                [
                    (
                        name,
                        rule.label(lang) if rule else None,
                        lines(*(step_label(m, policy, lang) for m in rule.after)) if rule and rule.after else None,
                    )
                    for name in policy.milestone_names()
                    for rule in (policy.milestone_rule(name),)
                ],
            )
        )
    if policy.intake.fields:
        parts.append(
            table(
                TEXT("intake_fields", lang),
                [TEXT(k, lang) for k in ("field", "label", "rule", "required")],
                [
                    (
                        f.name,
                        f.label(lang),
                        f.rule_id or None,
                        TEXT("yes", lang) if f.name in policy.intake.required else None,
                    )
                    for f in policy.intake.fields
                ],
            )
        )
    return Group(*parts)


def presets(ctx: typer.Context) -> None:
    """List the five bundled policy presets."""
    from adapters.policy_files import PRESETS, load_preset
    from entrypoints.jsonshapes import labels_json

    settings = settings_of(ctx)
    lang = settings.language()
    loaded = [(name, load_preset(name)) for name in PRESETS]
    doc = {
        "presets": [
            {
                "name": name,
                "policy": {"id": p.policy_id, "version": p.version},
                "description": labels_json(p.name),
                "source": p.source,
                "language": p.language,
            }
            for name, p in loaded
        ]
    }

    def human(console: Console) -> None:
        console.print(
            table(
                TEXT("presets", lang),
                [TEXT(k, lang) for k in ("preset", "title", "source", "version")],
                [(name, p.name(lang), p.source, p.version) for name, p in loaded],
            )
        )

    emit(settings, doc, human)


def show(
    ctx: typer.Context,
    policy: Annotated[
        str, typer.Argument(metavar="[PRESET|FILE]", help="A preset name or a policy TOML file.")
    ] = DEFAULT_POLICY,
    calendar_files: CalendarFilesOption = None,
) -> None:
    """Summarise a policy: categories, severities, clocks, approval, milestones, intake fields (--json: all of it)."""
    from adapters.policy_files import PRESETS, policy_to_dict

    from .loaders import load_policy_arg

    settings = settings_of(ctx)
    loaded = load_policy_arg(policy, param_hint="'PRESET|FILE'", calendar_files=calendar_files or ())
    lang = settings.language(loaded.language)
    is_preset = policy in PRESETS
    doc = {
        "preset": policy if is_preset else None,
        "file": None if is_preset else policy,
        "policy": policy_to_dict(loaded),
    }
    emit(settings, doc, lambda console: console.print(_summary(loaded, lang)))


def check(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Policy TOML file to validate.")],
    calendar_files: CalendarFilesOption = None,
) -> None:
    """Validate a policy file. Invalid → exit 2 and one line naming the key path (e.g. approval[1].limit)."""
    from adapters.policy_files import load_policy
    from entrypoints.jsonshapes import labels_json

    from .loaders import known_calendars

    settings = settings_of(ctx)
    policy = load_policy(file, known_calendars=known_calendars(calendar_files or ()))
    lang = settings.language(policy.language)
    doc = {
        "valid": True,
        "file": str(file),
        "policy": {"id": policy.policy_id, "version": policy.version},
        "name": labels_json(policy.name),
        "categories": len(policy.categories),
        "clocks": len(policy.clocks),
        "approval_tiers": len(policy.approval),
    }
    message = TEXT(
        "valid",
        lang,
        file=file,
        policy_id=policy.policy_id,
        version=policy.version,
        name=policy.name(lang),
        categories=len(policy.categories),
        clocks=len(policy.clocks),
        tiers=len(policy.approval),
    )
    emit(settings, doc, lambda console: console.print(message, markup=False, highlight=False))


def build() -> typer.Typer:
    app = area("policy", "Policy presets and policy files: list, show, check. | 策略预设与策略文件。")
    app.command("presets")(presets)
    app.command("show")(show)
    app.command("check")(check)
    return app
