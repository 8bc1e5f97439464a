"""What the report renderers say, in Chinese and English (the core's labels cover categories and clocks)."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from complaint_core.labels import Labels, Language
from complaint_core.report import Rate, duration_days

TEXT: dict[str, Labels] = {
    "title": Labels("客户投诉月度报告", "Monthly complaint report"),
    "month": Labels("月份", "Month"),
    "summary": Labels("概要", "Summary"),
    "total": Labels("结案件数", "Cases closed"),
    "overdue": Labels("超时率", "Overdue rate"),
    "repeat": Labels("重复投诉率", "Repeat rate"),
    "satisfaction": Labels("满意率", "Satisfaction rate"),
    "claimed": Labels("客户索赔", "Claimed"),
    "remedy": Labels("核准补偿", "Approved remedies"),
    "loss": Labels("损失", "Loss"),
    "deducted": Labels("扣款", "Deducted"),
    "posted": Labels("入账罚扣", "Posted"),
    "reversed": Labels("冲销", "Reversed"),
    "refunded": Labels("退还", "Refunded"),
    "carried": Labels("结转", "Carried forward"),
    "people": Labels("人数", "People"),
    "deductions": Labels("罚扣(月结)", "Deductions (month close)"),
    "no_close": Labels("本月尚未结账", "the month's ledger is not closed"),
    "by_category": Labels("按类别", "By category"),
    "by_cause": Labels("按原因", "By cause"),
    "by_department": Labels("按部门", "By department"),
    "by_severity": Labels("按严重程度", "By severity"),
    "by_market": Labels("按市场", "By market"),
    "category": Labels("类别", "Category"),
    "cause": Labels("原因", "Cause"),
    "department": Labels("部门", "Department"),
    "severity": Labels("严重程度", "Severity"),
    "market": Labels("市场", "Market"),
    "cases": Labels("件数", "Cases"),
    "share": Labels("占比", "Share"),
    "cumulative": Labels("累计占比", "Cumulative"),
    "clocks": Labels("时限数", "Clocks"),
    "late": Labels("超时", "Late"),
    "clock": Labels("时限", "Clock"),
    "overdue_by_clock": Labels("各时限超时率", "Overdue rate per clock"),
    "handling": Labels("处理时长分布", "Handling time"),
    "bucket": Labels("时长", "Duration"),
    "median": Labels("中位数(天)", "Median (days)"),
    "p90": Labels("90分位(天)", "90th percentile (days)"),
    "pareto": Labels("原因柏拉图", "Pareto of causes"),
    "weekly": Labels("每周结案件数(按类别)", "Cases closed per week, by category"),
    "dept_overdue": Labels("各部门超时率", "Overdue rate by department"),
    "audit": Labels("时效稽核(洽办单依据)", "Timeliness audit (basis of overdue inquiries)"),
    "no_late": Labels("本月无超时步骤", "no step was late this month"),
    "case": Labels("案件", "Case"),
    "rule": Labels("条款", "Rule"),
    "due": Labels("到期", "Due"),
    "stopped": Labels("完成", "Done"),
    "days_late": Labels("逾期天数", "Days late"),
    "working_days_late": Labels("逾期工作日", "Working days late"),
    "delay_parties": Labels("延误责任", "Responsible for delay"),
    "reached": Labels("已回访", "Reached"),
    "satisfied": Labels("满意", "Satisfied"),
    "dissatisfied": Labels("不满意", "Dissatisfied"),
    "pending": Labels("待回访", "Pending"),
    "unreachable": Labels("联系不上", "Unreachable"),
    "week": Labels("周", "Week"),
    "no_data": Labels("无数据", "no data"),
    "cases_list": Labels("结案明细", "Cases"),
    "customer": Labels("客户", "Customer"),
    "received": Labels("受理", "Received"),
    "closed": Labels("结案", "Closed"),
    "handling_days": Labels("处理天数", "Handling (days)"),
    "yes": Labels("是", "yes"),
    "no": Labels("否", "no"),
}


def t(key: str, lang: Language) -> str:
    return TEXT[key](lang)


def money(value: Decimal) -> str:
    """Yuan with thousands separators: 12,345.60."""
    return f"{value:,.2f}"


def days(value: timedelta | None) -> str:
    return "-" if value is None else str(duration_days(value))


def rate(value: Rate) -> str:
    return value.percent(1)


def local(instant: datetime, tz: tzinfo, zone: str = "") -> str:
    """``instant`` as the minute it was in ``zone`` (a case's policy zone), else in ``tz``."""
    return instant.astimezone(ZoneInfo(zone) if zone else tz).strftime("%Y-%m-%d %H:%M")
