"""The real command line in subprocesses: help, and one-line errors with exit code 2."""

import json

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow  # every test here runs the CLI or a pipeline


def one_line_error(res, *needles):
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize(
    "cmd",
    [
        [],
        ["run"],
        ["generate"],
        ["mix"],
        ["train"],
        ["evaluate"],
        ["report"],
        ["init"],
        ["tasks", "list"],
    ],
)
def test_help_is_useful(cmd):
    res = run_cli(*cmd, "--help")
    assert res.returncode == 0 and "Usage" in res.stdout
    if cmd:
        assert len(res.stdout) > 200


def test_unknown_preset():
    one_line_error(
        run_cli("run", "--preset", "quik"), "unknown preset 'quik'", "did you mean 'quick'"
    )


def test_ratio_out_of_range():
    one_line_error(run_cli("run", "--preset", "smoke", "--set", "ratios=[0,1.0]"), "outside [0, 1)")


def test_mix_ratio_out_of_range(tmp_path):
    (tmp_path / "o.jsonl").write_text('{"id": "o1", "source": "original"}\n')
    (tmp_path / "a.jsonl").write_text('{"id": "a1", "source": "augmented"}\n')
    one_line_error(
        run_cli(
            "mix",
            "--original",
            str(tmp_path / "o.jsonl"),
            "--augmented",
            str(tmp_path / "a.jsonl"),
            "--ratios",
            "0,1.5",
            "-o",
            str(tmp_path),
        ),
        "1.5 is outside [0, 1)",
    )


def test_malformed_jsonl(tmp_path):
    (tmp_path / "o.jsonl").write_text('{"id": "o1", "source": "original"}\n{oops\n')
    (tmp_path / "a.jsonl").write_text('{"id": "a1"}\n')
    one_line_error(
        run_cli(
            "mix",
            "--original",
            str(tmp_path / "o.jsonl"),
            "--augmented",
            str(tmp_path / "a.jsonl"),
            "-o",
            str(tmp_path),
        ),
        "malformed JSONL",
        "o.jsonl line 2",
    )


def test_missing_data_directory(tmp_path):
    res = run_cli(
        "run",
        "--preset",
        "smoke",
        "--set",
        "evaluate.tasks=[occupation,winobias]",
        "-o",
        str(tmp_path / "r"),
        env={"BIASINHERIT_DATA_DIR": str(tmp_path / "nope")},
    )
    one_line_error(res, "benchmark data directory not found", "BIASINHERIT_DATA_DIR")
    assert not (tmp_path / "r" / "adapters").exists()  # failed before any work


def test_missing_config_file_and_bad_set(tmp_path):
    one_line_error(run_cli("run", str(tmp_path / "nope.yaml")), "config file not found")
    one_line_error(run_cli("run", "--set", "train.lr=fast"), "train.lr")


def test_listings_as_json():
    res = run_cli("bias-types", "list", "--format", "json")
    assert res.returncode == 0
    assert "contrastive_single_explicit" in json.loads(res.stdout)
    res = run_cli("presets", "list", "--format", "json")
    assert set(json.loads(res.stdout)) >= {"smoke", "quick", "paper"}


def test_init_writes_a_loadable_config(tmp_path):
    path = tmp_path / "exp.yaml"
    assert run_cli("init", str(path)).returncode == 0
    from biasinherit.config import load_config

    assert load_config(path).generate.bias_types
    one_line_error(run_cli("init", str(path)), "exists")


def test_usage_mistakes_are_one_line_errors_not_tracebacks():
    one_line_error(run_cli("generate", "--config", "x.yaml"), "No such option: --config")
    one_line_error(run_cli("frobnicate"), "No such command")
