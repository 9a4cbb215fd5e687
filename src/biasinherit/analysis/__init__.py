"""Analysis: every measure across seeds and stimuli (levels, contrasts with γ = 0, the
dose-response trend, the mitigation rule) and the calibration of those tests."""

from biasinherit.analysis._analyze import TABLES, analyze_run, calibrate_run, load_analysis, plan
from biasinherit.analysis._data import MeasureData, collect_units
from biasinherit.analysis._estimates import contrast, level, slope
from biasinherit.analysis._recommend import recommend
from biasinherit.analysis._tables import VERDICTS, trend_table, verdict

__all__ = [
    "TABLES",
    "VERDICTS",
    "MeasureData",
    "analyze_run",
    "calibrate_run",
    "collect_units",
    "contrast",
    "level",
    "load_analysis",
    "plan",
    "recommend",
    "slope",
    "trend_table",
    "verdict",
]
