"""Report: tables and figures as queries over the long metrics table.

``write_report(run_dir)`` writes report.md and figures/*.png; the sections below are also
printed on their own by the CLI (``biasinherit significance``, ``ablation``, ``audit``).
"""

from biasinherit.report._audit_section import audit_summary_lines
from biasinherit.report._inference import headline_sentences, load_calibration, row_measure
from biasinherit.report._mitigation_section import mitigation_section, recommendation_lines
from biasinherit.report._report import write_report
from biasinherit.report._views import dose_response, dose_table, select

__all__ = [
    "audit_summary_lines",
    "dose_response",
    "dose_table",
    "headline_sentences",
    "load_calibration",
    "mitigation_section",
    "recommendation_lines",
    "row_measure",
    "select",
    "write_report",
]
