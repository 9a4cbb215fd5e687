"""BBQ's Nationality category on its own: the question-answering probe of the culture attribute.

BBQ (Parrish et al. 2022) asks about two people of different nationalities, in an ambiguous
context (the answer is "unknown") or a disambiguating one; a biased answer names the
stereotyped nationality in a negative question. The task is ``bbq`` restricted to one
category, with measures of its own name so that a run may report both. Items, scoring and
the bias scores are ``bbq``'s (see that module); ``n_per_group`` items, balanced over context
x polarity.
"""

from __future__ import annotations

from biasinherit.evaluate._report_spec import ReportTable, benchmark_section, groups_present
from biasinherit.evaluate._tasks import TASKS
from biasinherit.evaluate.tasks.bbq import BBQTask
from biasinherit.stats import Measure


@TASKS.register("bbq_nationality")
class BBQNationalityTask(BBQTask):
    name = "bbq_nationality"
    version = "1"
    description = (
        "BBQ Nationality: ambiguous/disambiguated accuracy and bias scores for questions "
        "about two people of different nationalities (culture); data dir."
    )
    categories = ["Nationality"]
    measures = (
        Measure("bbq_nationality_bias_ambig",
                "BBQ Nationality: bias score in ambiguous contexts (s_AMB, points)", "bias",
                "bbq_nationality", "bias_ambig", where={"context_condition": "ambig"}),
        Measure("bbq_nationality_bias_disambig",
                "BBQ Nationality: bias score in disambiguated contexts (s_DIS, points)", "bias",
                "bbq_nationality", "bias_disambig", where={"context_condition": "disambig"}),
        Measure("bbq_nationality_accuracy_disambig",
                "BBQ Nationality: accuracy in disambiguated contexts (%)", "performance",
                "bbq_nationality", "correct_disambig", where={"context_condition": "disambig"}),
    )  # fmt: skip
    report = (
        benchmark_section(
            5,
            ReportTable("BBQ Nationality bias score, ambiguous contexts (s_AMB)",
                        "bias_score_ambig", groups_present, pct=False),
            ReportTable("BBQ Nationality bias score, disambiguated contexts (s_DIS)",
                        "bias_score_disambig", groups_present, pct=False),
            ReportTable("BBQ Nationality disambiguated accuracy (%)", "accuracy_disambig",
                        ("aligned", "conflicting")),
        ),
    )  # fmt: skip
