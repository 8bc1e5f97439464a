"""Renderers of the monthly report (``complaint_core.report.MonthlyReport``): JSON, CSV, rich tables, HTML.

Each is a pure function of the report (and a language and display zone where people read it);
none writes files, so the CLI or a web handler decides where the output goes.
"""

from .html import to_html
from .plain import CSV_COLUMNS, to_csv, to_json_dict
from .tables import to_rich_tables

__all__ = ["CSV_COLUMNS", "to_csv", "to_html", "to_json_dict", "to_rich_tables"]
