"""Every entry point, fed a user mistake: one line ``error: ... (hint: ...)``, exit code 2,
no traceback, and finished work left as it was. Real files, real subprocesses of the CLI,
a real local HTTP server; every case fails before any model is loaded.

One table: case id -> (how to build the input, the first words of the expected message).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow  # every test here runs the CLI or a pipeline

BIOS = [  # (text, job, sex): a user's own column names and values
    ("She fills cavities and fits crowns at a clinic.", "dentist", "F"),
    ("He fills cavities and fits crowns at a clinic.", "dentist", "M"),
    ("She cares for patients on a hospital ward.", "nurse", "F"),
    ("He cares for patients on a hospital ward.", "nurse", "M"),
]


class Ctx:
    """What a case builds on: a temporary folder, the test server, helper processes."""

    def __init__(self, tmp: Path, url: str) -> None:
        self.tmp, self.url, self.procs = tmp, url, []

    def file(self, name: str, content: str | bytes) -> str:
        p = self.tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
        return str(p)

    def run_dir(self, config: dict | None = None, **files: str | bytes) -> str:
        """A run folder as `biasinherit run` leaves it (config.yaml, versions.json, ...)."""
        from biasinherit.config import dump_config, load_config

        d = self.tmp / "run"
        d.mkdir(exist_ok=True)
        text = dump_config(load_config(preset="smoke"))
        if config:
            import yaml

            text = yaml.safe_dump({**yaml.safe_load(text), **config}, sort_keys=False)
        (d / "config.yaml").write_text(text)
        (d / "versions.json").write_text(json.dumps({"biasinherit": "0.0.1"}))
        for name, content in files.items():
            self.file(f"run/{name}", content)
        return str(d)

    def locked_run_dir(self) -> str:
        """A run folder that another live process holds (the real RunLock, in a child)."""
        d = self.tmp / "busy"
        code = (
            "import sys, time; from biasinherit.rundir import RunLock; "
            f"lock = RunLock({str(d)!r}).acquire(); print('locked', flush=True); time.sleep(120)"
        )
        d.mkdir()
        p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "locked"
        self.procs.append(p)
        return str(d)


def every_cell(n: int = 3) -> list[tuple[str, str, str]]:
    """``n`` biographies per occupation x gender, in the user's vocabulary."""
    jobs = ["architect", "dentist", "nurse", "painter", "professor", "software_engineer"]
    return [(f"{p} works hard, year {i}.", j, s) for j in jobs for p, s in (("She", "F"),
            ("He", "M")) for i in range(n)]  # fmt: skip


def csv_bios(rows=BIOS, header="bio,job,sex") -> str:
    return header + "\n" + "".join(f'"{t}",{j},{s}\n' for t, j, s in rows)


def parquet_bytes(rows: list[dict]) -> bytes:
    import io

    import pandas as pd

    buf = io.BytesIO()
    pd.DataFrame(rows).to_parquet(buf, index=False)
    return buf.getvalue()


MAPPED = ["--set", "original.columns={text: bio, label: job, group: sex}",
          "--set", "original.values.group={F: female, M: male}"]  # fmt: skip


def run_on(c: Ctx, source: str, *extra: str) -> list[str]:
    """`run --preset smoke` on a user file (fails while reading it, before any model)."""
    out = str(c.tmp / "out")
    return ["run", "--preset", "smoke", "-o", out, "--set", f"original.source={source}", *extra]


def gen_at(c: Ctx, path: str, *extra: str) -> list[str]:
    """`generate` through the openai backend at the test server's ``path``."""
    return [
        "generate", "--preset", "smoke", "-o", str(c.tmp / "gen"), "-b", "neutral", "--n", "1",
        "--set", "generate.backend=openai", "--set", f"augment.base_url={c.url}{path}",
        "--set", "augment.max_retries=1", "--set", "augment.timeout=0.5",
        "--set", "augment.concurrency=1", "--set", f"augment.cache_dir={c.tmp / 'cache'}",
        *extra,
    ]  # fmt: skip


def _unwritable_dir(c: Ctx) -> str:
    if os.geteuid() == 0:  # root writes through chmod: use a folder the kernel refuses
        return "/sys/fs"
    d = c.tmp / "ro"
    d.mkdir()
    d.chmod(0o555)
    return str(d)


def _free_port_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


# id -> (build(ctx) -> CLI args [, env]), expected start of the message after "error: ")
CASES = {
    # ----------------------------------------------------------------- config files
    "config binary": (lambda c: ["run", c.file("x.yaml", b"\x00\x01\xff" * 20)], "config file"),
    "config not utf-8": (lambda c: ["run", c.file("x.yaml", "name: caf\xe9\n".encode("latin-1"))],
                         "config file"),
    "config empty": (lambda c: ["run", c.file("x.yaml", "")], "config"),
    "config only comments": (lambda c: ["run", c.file("x.yaml", "# nothing\n")], "config"),
    "config duplicate key": (lambda c: ["run", c.file("x.yaml", "preset: smoke\nratios: [0]\n"
                                                          "ratios: [0, 0.5]\n")], "config"),
    "config duplicate nested key": (lambda c: ["run", c.file("x.yaml", "train:\n  lr: 0.1\n"
                                                                 "  lr: 0.2\n")], "config"),
    "config a list": (lambda c: ["run", c.file("x.yaml", "- preset: smoke\n")], "config"),
    "config a scalar": (lambda c: ["run", c.file("x.yaml", "smoke\n")], "config"),
    "config bad syntax": (lambda c: ["run", c.file("x.yaml", "train: [unclosed\n")], "config"),
    "config tab indent": (lambda c: ["run", c.file("x.yaml", "train:\n\tlr: 1\n")], "config"),
    "config wrong type": (lambda c: ["run", c.file("x.yaml", "ratios: lots\n")],
                          "config error at ratios"),
    "config unknown key": (lambda c: ["run", c.file("x.yaml", "ratioz: [0]\n")],
                           "config error at ratioz: unknown key"),
    "config section a scalar": (lambda c: ["run", c.file("x.yaml", "train: 5\n")],
                                "config error at train"),
    "config preset not a name": (lambda c: ["run", c.file("x.yaml", "preset: [smoke]\n")],
                                 "config"),
    "config unknown preset": (lambda c: ["run", c.file("x.yaml", "preset: smok\n")],
                              "unknown preset 'smok'"),
    "config is a folder": (lambda c: ["run", str(c.tmp)], "config file"),
    "config not found": (lambda c: ["run", str(c.tmp / "nope.yaml")], "config file not found"),
    "set ratios empty": (lambda c: ["run", "--preset", "smoke", "--set", "ratios=[]"],
                         "config error at ratios: need at least one bias ratio"),
    "set seeds empty": (lambda c: ["run", "--preset", "smoke", "--set", "seeds=[]"],
                        "config error at seeds"),
    "set without =": (lambda c: ["run", "--preset", "smoke", "--set", "ratios"], "--set 'ratios'"),
    "set bad yaml": (lambda c: ["run", "--preset", "smoke", "--set", "ratios=[0,"], "--set ratios"),
    "set into a scalar": (lambda c: ["run", "--preset", "smoke", "--set", "name.x=1"],
                          "--set name.x"),
    "set negative epochs": (lambda c: ["run", "--preset", "smoke", "--set", "train.epochs=-1"],
                            "config error at train.epochs"),
    "set base_url no scheme": (lambda c: ["generate", "--preset", "smoke", "--set",
                                          "augment.base_url=localhost:8000"],
                               "config error at augment.base_url"),
    "set delimiter too long": (lambda c: ["run", "--preset", "smoke", "--set",
                                          "original.delimiter=ab"],
                               "config error at original.delimiter"),
    "set value map to no group": (lambda c: ["run", "--preset", "smoke", "--set",
                                             "original.values.group={F: fem}"],
                                  "config error at original.values.group: 'F' maps to 'fem'"),
    "unknown bias type": (lambda c: ["generate", "--preset", "smoke", "-b", "contrastive"],
                          "unknown bias type 'contrastive'"),
    "backend option not taken": (lambda c: ["generate", "--preset", "smoke", "--set",
                                            "augment.concurrency=32"],
                                 "config error at augment.concurrency: the transformers backend "
                                 "does not take it (only openai does)"),
    "backend option unknown": (lambda c: ["generate", "--preset", "smoke", "--set",
                                          "generate.backend=replay", "--set",
                                          "generate.options.concurrency=8"],
                               "config error at generate.options.concurrency: the replay "
                               "backend does not take it (only openai does)"),
    # ----------------------------------------------------------------- data files
    "data not found": (lambda c: run_on(c, str(c.tmp / "nope.csv")), "data file not found"),
    "data a folder": (lambda c: run_on(c, str(c.tmp)), "data file"),
    "data empty": (lambda c: run_on(c, c.file("b.csv", "")), "data file"),
    "data binary": (lambda c: run_on(c, c.file("b.csv", b"\x00\x9f\x92\x96" * 64)), ""),
    "data parquet named csv": (lambda c: run_on(c, c.file("b.csv", parquet_bytes(
        [{"text": "x", "label": "nurse", "group": "F"}]))), ""),
    "data unknown extension": (lambda c: run_on(c, c.file("b.xlsx", "text\n")),
                               "cannot tell the format of b.xlsx"),
    "data truncated csv": (lambda c: run_on(c, c.file("b.csv", csv_bios() + '"She never')),
                           ""),
    "data truncated jsonl": (lambda c: run_on(c, c.file("b.jsonl", '{"text": "She", "label": '
                                                        '"nurse", "group": "F"}\n{"text": "H')),
                             ""),
    "data truncated parquet": (lambda c: run_on(c, c.file("b.parquet", parquet_bytes(
        [{"text": "x", "label": "nurse", "group": "F"}] * 20)[:300])), ""),
    "data declared wrong encoding": (lambda c: run_on(
        c, c.file("b.csv", csv_bios([("Zoë fills cavities.", "dentist", "F")] * 8).encode(
            "latin-1")), *MAPPED, "--set", "original.encoding=utf-8"), "cannot read"),
    "data unknown encoding": (lambda c: run_on(c, c.file("b.csv", csv_bios()), "--set",
                                               "original.encoding=klingon"),
                              "unknown encoding 'klingon'"),
    "data mapped column missing": (lambda c: run_on(c, c.file("b.csv", csv_bios()), "--set",
                                                    "original.columns.text=biography"), ""),
    "data no text column": (lambda c: run_on(c, c.file("b.csv", csv_bios(header="x,job,sex"))),
                            ""),
    "data unknown labels": (lambda c: run_on(c, c.file("b.csv", csv_bios(
        [("She flies planes.", "pilot", "F")] * 3 + BIOS * 3)), *MAPPED), ""),
    "data unknown groups": (lambda c: run_on(c, c.file("b.csv", csv_bios(
        [(t, j, "X") for t, j, _ in BIOS] + BIOS)), *MAPPED), ""),
    "data one row": (lambda c: run_on(c, c.file("b.csv", csv_bios(BIOS[:1])), *MAPPED),
                     "original data too small"),
    "data header only": (lambda c: run_on(c, c.file("b.csv", "bio,job,sex\n"), *MAPPED), ""),
    "data wrong field count": (lambda c: run_on(c, c.file("b.csv", csv_bios() + "a,b,c,d\n"),
                                                *MAPPED), ""),
    "data duplicate header": (lambda c: run_on(c, c.file("b.csv", "bio,bio,sex\nx,y,F\n")), ""),
    "data bad split values": (lambda c: run_on(c, c.file("b.csv", "text,occupation,gender,split\n"
                                                         + "x,nurse,F,holdout\n" * 4)), ""),
    "data no test items": (lambda c: run_on(c, c.file("b.jsonl", "".join(
        json.dumps({"bio": t, "job": j, "sex": s, "split": "train"}) + "\n"
        for t, j, s in every_cell())), *MAPPED, "--set", "original.columns.split=split"),
                           "the test split has 0 items"),
    "data bias_in_bios bad ids": (lambda c: run_on(c, c.file("b.jsonl", "".join(
        json.dumps({"hard_text": "She writes.", "profession": 31, "gender": 1}) + "\n"
        for _ in range(5))), "--set", "original.format=bias_in_bios"), ""),
    "data ratio adds nothing": (lambda c: ["run", "--preset", "smoke", "-o", str(c.tmp / "o"),
                                           "--set", "ratios=[0, 0.01]"],
                                "bias ratio 0.01 adds no augmented row"),
    "data template cells too small": (lambda c: ["run", "--preset", "smoke", "-o",
                                                 str(c.tmp / "o"), "--set", "original.per_group=1"],
                                      "original data too small"),
    # ----------------------------------------------------------------- run folders
    "out is a file": (lambda c: ["run", "--preset", "smoke", "-o", c.file("f.txt", "x")],
                      "run folder"),
    "out under a file": (lambda c: ["run", "--preset", "smoke", "-o",
                                    c.file("f.txt", "x") + "/run"], "cannot create run folder"),
    "out not writable": (lambda c: ["run", "--preset", "smoke", "-o", _unwritable_dir(c)],
                         "run folder"),
    "out in use": (lambda c: ["run", "--preset", "smoke", "-o", c.locked_run_dir()],
                   "run folder"),
    "corrupt status (status)": (lambda c: ["status", c.run_dir(**{"status.json": "{oops"})],
                                "status file"),
    "corrupt status (run)": (lambda c: ["run", "--preset", "smoke", "-o",
                                        c.run_dir(**{"status.json": "[1, 2"})], "status file"),
    "config from another version": (lambda c: ["status", c.run_dir({"frobnicate": 3})], ""),
    "binary config in run folder": (lambda c: ["status", c.run_dir(**{"config.yaml": b"\x00\xff"})],
                                    "config file"),
    "torn metrics table (report)": (lambda c: ["report", c.run_dir(**{"metrics.parquet":
                                    b"PAR1\x00\x01torn"})], "metrics table"),
    "not a run folder": (lambda c: ["status", str(c.tmp)], ""),
    "audit binary augmented": (lambda c: ["audit", c.run_dir(**{"augmented.jsonl": b"\xff\xfe\x00"
                                                                * 9}), "--no-values"], ""),
    "mix binary original": (lambda c: ["mix", "--original", c.file("o.jsonl", b"\xff\x00" * 9),
                                       "--augmented", c.file("a.jsonl", "{}\n"), "-o",
                                       str(c.tmp / "m")], ""),
    "mix no ratios": (lambda c: ["mix", "--original", c.file("o.jsonl", "{}\n"), "--augmented",
                                 c.file("a.jsonl", "{}\n"), "--ratios", ",", "-o",
                                 str(c.tmp / "m")], "--ratios names no bias ratio"),
    "train binary mix": (lambda c: ["train", c.file("m.jsonl", b"\x80\x81" * 30), "-o",
                                    str(c.tmp / "ad"), "--preset", "smoke"], ""),
    "evaluate no tasks": (lambda c: ["evaluate", "--tasks", ","], "--tasks names no task"),
    "init under a file": (lambda c: ["init", c.file("f.txt", "x") + "/exp.yaml"], "cannot write"),
    # ----------------------------------------------------------------- endpoints
    "endpoint down": (lambda c: gen_at(c, "", "--set", f"augment.base_url={_free_port_url()}"),
                      "cannot reach"),
    "endpoint malformed json": (lambda c: gen_at(c, "/garbage/v1"), ""),
    "endpoint wrong shape": (lambda c: gen_at(c, "/shape/v1"), ""),
    "endpoint 500 beyond retries": (lambda c: gen_at(c, "/e500/v1"), ""),
    "endpoint 429 beyond retries": (lambda c: gen_at(c, "/e429/v1"), ""),
    "endpoint slow": (lambda c: gen_at(c, "/slow/v1"), ""),
    "endpoint 404": (lambda c: gen_at(c, "/e404/v1"), ""),
    "endpoint 401": (lambda c: (gen_at(c, "/e401/v1", "--set", "augment.api_key_env=TEST_KEY"),
                                {"TEST_KEY": "sk-x"}), ""),
    "endpoint key not set": (lambda c: gen_at(c, "/v1", "--set", "augment.api_key_env=NO_SUCH_K"),
                             "environment variable NO_SUCH_K"),
}  # fmt: skip

# The first words of each message where the table above leaves them to this map (kept
# apart so the table stays readable): what the user reads first.
STARTS = {
    "config binary": "config file {tmp}/x.yaml is a binary file",
    "config not utf-8": "config file {tmp}/x.yaml is not UTF-8 text",
    "config empty": "config {tmp}/x.yaml is empty",
    "config only comments": "config {tmp}/x.yaml is empty",
    "config duplicate key": "config {tmp}/x.yaml line 3: key 'ratios' is given twice",
    "config duplicate nested key": "config {tmp}/x.yaml line 3: key 'lr' is given twice",
    "config a list": "config {tmp}/x.yaml must be a mapping of keys, not a list",
    "config a scalar": "config {tmp}/x.yaml must be a mapping of keys, not a str",
    "config bad syntax": "config {tmp}/x.yaml line 2 is not valid YAML",
    "config tab indent": "config {tmp}/x.yaml line 2 is not valid YAML",
    "config preset not a name": "config {tmp}/x.yaml: preset must be a name",
    "config is a folder": "config file {tmp} is a folder",
    "data a folder": "data file {tmp} is a folder",
    "data empty": "data file {tmp}/b.csv is empty",
    "data binary": "{tmp}/b.csv is a binary file, not text",
    "data parquet named csv": "{tmp}/b.csv is a Parquet file, not CSV",
    "data truncated csv": "{tmp}/b.csv line 6: a quoted field never ends",
    "data truncated jsonl": "{tmp}/b.jsonl line 2 is cut off",
    "data truncated parquet": "{tmp}/b.parquet is not a Parquet file (or it is truncated)",
    "data mapped column missing": "{tmp}/b.csv has no column 'biography'",
    "data no text column": "{tmp}/b.csv has no text column",
    "data unknown labels": "{tmp}/b.csv: 3 of 15 rows have an unknown occupation ('pilot' on line",
    "data unknown groups": "{tmp}/b.csv: 4 of 8 rows have an unknown gender ('X' on line 2",
    "data header only": "{tmp}/b.csv holds no usable rows",
    "data wrong field count": "{tmp}/b.csv line 6 has 4 fields, the header has 3",
    "data duplicate header": "{tmp}/b.csv line 1: the header names column 'bio' twice",
    "data bad split values": "{tmp}/b.csv: 4 of 4 rows have an unknown split value",
    "data bias_in_bios bad ids": "{tmp}/b.jsonl: 5 of 5 rows have an unknown occupation",
    "out is a file": "run folder {tmp}/f.txt is an existing file",
    "out not writable": "run folder {ro} is not writable",
    "out in use": "run folder {tmp}/busy is in use by another process (pid ",
    "corrupt status (status)": "status file {tmp}/run/status.json is corrupt",
    "corrupt status (run)": "status file {tmp}/run/status.json is corrupt",
    "config from another version": "{tmp}/run/config.yaml does not fit this version",
    "binary config in run folder": "config file {tmp}/run/config.yaml is a binary file",
    "not a run folder": "{tmp} is not a run folder",
    "audit binary augmented": "{tmp}/run/augmented.jsonl is not UTF-8 text",
    "mix binary original": "{tmp}/o.jsonl is not UTF-8 text",
    "train binary mix": "{tmp}/m.jsonl is not UTF-8 text",
    "endpoint malformed json": "{url}/garbage/v1/chat/completions failed (malformed response",
    "endpoint wrong shape": "{url}/shape/v1/chat/completions failed (malformed response",
    "endpoint 500 beyond retries": "{url}/e500/v1/chat/completions failed (HTTP 500) after 1",
    "endpoint 429 beyond retries": "{url}/e429/v1/chat/completions rate limited (HTTP 429)",
    "endpoint slow": "{url}/slow/v1/chat/completions failed (timed out after 0.5 s)",
    "endpoint 404": "{url}/e404/v1/chat/completions answered HTTP 404",
    "endpoint 401": "{url}/e401/v1 rejected the API key (HTTP 401)",
}


class _Faulty(BaseHTTPRequestHandler):
    """An endpoint that fails in the ways real ones do, chosen by the first path part."""

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        mode = self.path.strip("/").split("/")[0]
        status = {"e500": 500, "e429": 429, "e404": 404, "e401": 401}.get(mode, 200)
        body = {"garbage": b"<html>not json</html>", "shape": b'{"choices": "none"}'}.get(
            mode, b'{"error": "no"}'
        )
        if mode == "slow":
            time.sleep(3)
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (the slow case)
            pass


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Faulty)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_the_table_is_large_enough():
    assert len(CASES) >= 40, len(CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_user_mistake_is_one_line_exit_2(case, tmp_path, server):
    build, start = CASES[case]
    c = Ctx(tmp_path, server)
    try:
        built = build(c)
        args, env = built if isinstance(built, tuple) else (built, None)
        before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
        here = {"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT / "src")}  # this checkout
        res = run_cli(*args, env={**here, **(env or {})}, timeout=120)
    finally:
        for p in c.procs:
            p.kill()
            p.wait()
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode == 2, (res.returncode, res.stderr[-3000:])
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and res.stderr.strip().splitlines()[-1] == errors[0], res.stderr
    line = errors[0]
    assert " (hint: " in line and line.endswith(")"), line
    ro = "/sys/fs" if os.geteuid() == 0 else f"{tmp_path}/ro"
    expect = STARTS.get(case, start).format(tmp=tmp_path, url=server, ro=ro)
    assert line.startswith(f"error: {expect}"), f"{line!r}\n  expected to start with {expect!r}"
    # Finished work is kept: every file that existed before is unchanged.
    for p, content in before.items():
        assert p.read_bytes() == content, f"{p} changed"


def test_an_unexpected_error_keeps_its_traceback_in_the_run_folder(tmp_path):
    """A true bug inside a stage: one line pointing at RUN/logs/, exit 1, no traceback."""
    run = Ctx(tmp_path, "").run_dir()
    code = (
        "import sys, biasinherit.status as s\n"
        "def boom(run_dir):\n    raise RuntimeError('boom in a stage')\n"
        "s.run_status = boom\n"
        "from biasinherit.cli import main\nsys.argv = ['biasinherit', *sys.argv[1:]]\nmain()\n"
    )
    res = subprocess.run([sys.executable, "-c", code, "status", run], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)  # fmt: skip
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("error: unexpected RuntimeError: boom in a stage (hint: this is a bug;")
    logs = list((Path(run) / "logs").glob("error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in line
    text = logs[0].read_text()
    assert "Traceback" in text and "boom in a stage" in text and "def boom" not in line
    debug = subprocess.run([sys.executable, "-c", code, "--debug", "status", run],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip
    assert "Traceback" in debug.stderr and "RuntimeError: boom in a stage" in debug.stderr
