"""The report and the card read a run's config.yaml through the layout's reader: a key an
older version did not write gets the schema's default, as everywhere else."""

from __future__ import annotations

import yaml

from biasinherit.config import dump_config, load_config
from biasinherit.report._card import build_card
from biasinherit.report._report import _setup


def test_report_and_card_fill_what_an_older_config_lacks(tmp_path):
    smoke = load_config(preset="smoke")
    data = yaml.safe_load(dump_config(smoke))
    del data["train"]["lr"], data["train"]["grad_clip"], data["generator"], data["augment"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    line = _setup(tmp_path)[0]
    assert "Model `smollm2-135m-instruct`, generator `smollm2-135m-instruct`" in line
    assert "LoRA r=8, lr 0.002, 1.0 epoch(s)" in line and "ratios 0.0, 0.5" in line
    card = build_card(tmp_path, {"plan": None})  # no analysis tables: the config parts only
    assert card["training"] == smoke.train.model_dump(mode="json")
    assert card["training"]["grad_clip"] == 1.0 and card["ratios"] == [0.0, 0.5]
    assert card["prompts"]["contrastive_single_explicit"]["template"]


def test_no_config_no_setup_line(tmp_path):
    assert _setup(tmp_path) == []


def test_the_mitigation_rule_states_the_runs_max_cost(tmp_path):
    """plan.json records the max_cost the tables were judged with; a plan without it (an
    older folder) falls back to the run's config, not to a copy of the default."""
    from biasinherit.analysis import load_analysis
    from biasinherit.report import mitigation_section
    from tests.test_analysis import fake_run

    fake_run(tmp_path, mitigations=("none", "loss"), seeds=(0, 1), ratios=(0.0, 0.5))
    data = yaml.safe_load((tmp_path / "config.yaml").read_text())
    data["analysis"]["max_cost"] = 0.05
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    tables = load_analysis(tmp_path)
    assert "above −5 points" in "\n".join(mitigation_section(tmp_path, tables))
    plan = {k: v for k, v in tables["plan"].items() if k != "max_cost"}  # an older plan.json
    assert "above −5 points" in "\n".join(mitigation_section(tmp_path, {**tables, "plan": plan}))
