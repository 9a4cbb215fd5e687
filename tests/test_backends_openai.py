"""The OpenAI-compatible backend against a live `biasinherit serve` on 127.0.0.1.

All traffic goes to loopback, bounded in count and time. Error statuses come from the real
server over HTTP (its --fault flag), not from a mocked client.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from biasinherit.errors import BiasInheritError
from biasinherit.generate.backends.openai import OpenAIBackend
from tests.conftest import ROOT, run_cli

KEY = "sk-test-do-not-log-3141592653"


class Server:
    def __init__(self, tmp: Path, *args: str, env: dict | None = None) -> None:
        self.log = tmp / f"requests-{time.monotonic_ns()}.jsonl"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "biasinherit", "serve", "--port", "0", "--log", str(self.log),
             *args],
            stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, **(env or {})},
        )  # fmt: skip
        line = self.proc.stderr.readline()
        assert "serving" in line, line + self.proc.stderr.read()
        self.url = line.split(" on ")[1].strip()

    def requests(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(x) for x in self.log.read_text().splitlines()]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One live server with the embedded model that requires an API key."""
    s = Server(tmp_path_factory.mktemp("srv"), "--api-key-env", "SERVE_KEY", env={"SERVE_KEY": KEY})
    yield s
    s.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gen(backend: OpenAIBackend, n: int = 2, **kw):
    return backend.generate(
        [f"Say hello number {i}." for i in range(n)],
        max_new_tokens=kw.get("max_new_tokens", 8), temperature=0.8, top_p=0.95,
        seeds=list(range(n)),
    )  # fmt: skip


def test_live_server_generates_with_seeds_and_counts_tokens(live, monkeypatch):
    monkeypatch.setenv("CLIENT_KEY", KEY)
    b = OpenAIBackend(model="smollm2", base_url=live.url, api_key_env="CLIENT_KEY", concurrency=2)
    first, again = _gen(b), _gen(b)
    assert [g.text for g in first] == [g.text for g in again]  # same seed, same answer
    assert all(g.text and 0 < g.completion_tokens <= 8 and g.prompt_tokens > 5 for g in first)
    assert sum(r["status"] == 200 for r in live.requests()) >= 4


def test_bad_key_is_one_line_and_never_echoes_the_key(live, monkeypatch, tmp_path):
    monkeypatch.setenv("CLIENT_KEY", "sk-wrong-key-271828")
    b = OpenAIBackend(model="smollm2", base_url=live.url, api_key_env="CLIENT_KEY")
    with pytest.raises(BiasInheritError) as e:
        _gen(b, 1)
    msg = str(e.value)
    assert "rejected the API key (HTTP 401)" in msg and "$CLIENT_KEY" in msg
    assert "\n" not in msg and "271828" not in msg and KEY not in live.log.read_text()


@pytest.mark.slow
def test_endpoint_down_is_one_line_from_the_cli(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}/v1"
    res = run_cli(
        "generate", "--preset", "smoke", "-o", str(tmp_path / "run"), "--n", "2",
        "--set", "generate.backend=openai", "--set", f"augment.base_url={url}",
        "--set", f"augment.cache_dir={tmp_path / 'cache'}", timeout=120,
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    lines = [x for x in res.stderr.splitlines() if x.startswith("error:")]
    assert lines == [
        f"error: cannot reach {url}: connection refused (is the server running?) "
        "(hint: start the server or fix augment.base_url)"
    ], res.stderr


def test_429_is_retried_with_backoff_then_a_one_line_error(tmp_path):
    s = Server(tmp_path, "--fault", "429")
    try:
        b = OpenAIBackend(model="m", base_url=s.url, max_retries=2, backoff=0.05)
        t0 = time.perf_counter()
        with pytest.raises(BiasInheritError, match=r"rate limited \(HTTP 429\) after 2 retries"):
            _gen(b, 1)
        assert time.perf_counter() - t0 >= 0.05 + 0.1  # waited 0.05 then 0.1 s
        assert [r["status"] for r in s.requests()] == [429, 429, 429]
    finally:
        s.stop()


@pytest.mark.slow  # the server loads the embedded model to answer the third request
def test_5xx_then_success_is_retried_transparently(tmp_path):
    s = Server(tmp_path, "--fault", "503:2", "--batch-size", "4")
    try:
        b = OpenAIBackend(model="m", base_url=s.url, max_retries=3, backoff=0.01)
        (g,) = _gen(b, 1, max_new_tokens=4)
        assert g.text and [r["status"] for r in s.requests()] == [503, 503, 200]
    finally:
        s.stop()


def test_timeouts_are_retried_then_reported(tmp_path):
    # A listening socket that never answers: every request times out.
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        url = f"http://127.0.0.1:{srv.getsockname()[1]}/v1"
        b = OpenAIBackend(model="m", base_url=url, timeout=0.2, max_retries=1, backoff=0.01)
        with pytest.raises(BiasInheritError, match=r"failed \(timed out after 0.2 s\) after 1"):
            _gen(b, 1)


def _generate_cmd(url: str, run: Path, cache: Path) -> list[str]:
    return [
        "generate", "--preset", "smoke", "-o", str(run), "-b", "neutral", "--n", "2",
        "--set", "generate.oversample=2",
        "--set", "generate.backend=openai", "--set", f"augment.base_url={url}",
        "--set", "augment.api_key_env=CLIENT_KEY", "--set", "augment.concurrency=2",
        "--set", "generate.batch_size=2", "--set", "generate.max_new_tokens=24",
        "--set", "augment.timeout=900",
        "--set", f"augment.cache_dir={cache}",
    ]  # fmt: skip


def test_killed_generate_resumes_without_resending_and_matches_uninterrupted(live, tmp_path):
    env = {"CLIENT_KEY": KEY}
    whole = run_cli(*_generate_cmd(live.url, tmp_path / "a", tmp_path / "ca"), env=env)
    assert whole.returncode == 0, whole.stderr
    n_before = len(live.requests())
    sent_whole = json.loads((tmp_path / "a/generate/stats.json").read_text())["requests_sent"]

    cmd = [sys.executable, "-m", "biasinherit"]
    cmd += _generate_cmd(live.url, tmp_path / "b", tmp_path / "cb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stderr=subprocess.PIPE)
    cache_files = lambda: list((tmp_path / "cb").glob("*.jsonl"))  # noqa: E731
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and proc.poll() is None:
        if cache_files() and len(cache_files()[0].read_text().splitlines()) >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "generate finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    n_killed = len(cache_files()[0].read_text().splitlines())
    assert 2 <= n_killed < sent_whole and not (tmp_path / "b/augmented.jsonl").exists()

    resumed = run_cli(*_generate_cmd(live.url, tmp_path / "b", tmp_path / "cb"), env=env)
    assert resumed.returncode == 0, resumed.stderr
    stats = json.loads((tmp_path / "b/generate/stats.json").read_text())
    assert stats["cache_hits"] >= n_killed and stats["requests_sent"] <= sent_whole - n_killed
    # The server saw every request of the interrupted run once (a request in flight at the
    # kill may have reached it but never returned: those alone, at most 2, may repeat).
    after = [r["sha"] for r in live.requests()[n_before:] if r["status"] == 200]
    assert len(after) - len(set(after)) <= 2 and len(set(after)) == sent_whole
    # Same seeds, same rows as the uninterrupted run.
    a = (tmp_path / "a/augmented.jsonl").read_text()
    b = (tmp_path / "b/augmented.jsonl").read_text()
    assert a == b and a.strip()

    # A third identical run is served entirely from the cache: nothing is sent.
    again = run_cli(*_generate_cmd(live.url, tmp_path / "c", tmp_path / "cb"), env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "c/generate/stats.json").read_text())["requests_sent"] == 0
    assert len(live.requests()) == n_before + len(after)


def test_culture_seeds_through_the_live_server(live, tmp_path, monkeypatch):
    """Labelled polarity examples about culture groups: label check, group cue, counts."""
    from biasinherit.generate import GenerateSpec, generate_augmentation

    monkeypatch.setenv("CLIENT_KEY", KEY)
    spec = GenerateSpec(
        attribute="culture", task="rt_polarity", n_per_type=3, max_new_tokens=40,
        bias_types=["neutral", "contextual_single_explicit", "contrastive_single_implicit"],
        backend="openai", model="smollm2", batch_size=8, max_rounds=1, cache_dir=str(tmp_path),
        backend_options={"base_url": live.url, "api_key_env": "CLIENT_KEY", "concurrency": 4,
                         "timeout": 900},
    )  # fmt: skip
    summary = generate_augmentation(spec, tmp_path / "run")
    rows = [json.loads(x) for x in (tmp_path / "run/augmented.jsonl").read_text().splitlines()]
    raw = [json.loads(x) for x in (tmp_path / "run/generate/raw.jsonl").read_text().splitlines()]
    assert len(raw) == 3 * 5 and all(r["example_id"].startswith("rt-") for r in raw)
    for bt, c in summary.items():
        dropped = sum(v for k, v in c.items() if k.startswith("filtered_"))
        n_rows = len([r for r in rows if r["bias_type"] == bt])
        assert c["generated"] == 5 and n_rows == c["kept"] == min(5 - dropped, 3)
        assert c["filter_rate"] == round(dropped / 5, 4)
    for r in rows:
        assert r["task"] == "rt_polarity" and r["label"] in ("negative", "positive")
        if r["bias_type"] != "neutral":
            assert r["label"] == "negative" and r["group"] in ("arabic", "chinese", "portuguese",
                                                               "spanish")  # fmt: skip
    stats = json.loads((tmp_path / "run/generate/stats.json").read_text())
    assert stats["requests_sent"] == 15 and stats["label_check"] == "vader"


def test_audit_reads_values_from_sampled_answers_of_an_endpoint(live, tmp_path):
    """An endpoint gives text, not probabilities: the audit samples answers through it."""
    env = {"CLIENT_KEY": KEY}
    run, cache = tmp_path / "run", tmp_path / "cache"
    res = run_cli(*_generate_cmd(live.url, run, cache), env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    audit = ["audit", str(run), "--limit", "1", "--samples", "3", "--permutations", "100"]
    n0 = len(live.requests())
    res = run_cli(*audit, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    a = json.loads((run / "audit.json").read_text())
    v = a["values"]
    assert a["settings"]["values_from"] == "samples" and v["answers_from"].startswith("3 sampled")
    # questions x (4 countries + none) x option orders (as listed, reversed) x samples
    assert len(live.requests()) - n0 == 1 * 5 * 2 * 3
    assert set(v["answer_parse_rate"]) == {"US", "CN", "EG", "JP", "none"}
    assert all(0 <= r <= 1 for r in v["answer_parse_rate"].values())
    assert 0 <= v["position_bias"]["all"]["order_sensitivity"] <= 1
    for q in v["per_question"].values():
        for p in q["generator"].values():
            assert sum(p) == pytest.approx(1, abs=1e-3)
    assert "share of sampled answers that named an option" in res.stdout
    res = run_cli(*audit, env=env)  # the same questions again: served from the cache
    assert res.returncode == 0 and len(live.requests()) - n0 == 1 * 5 * 2 * 3
    assert json.loads((run / "audit.json").read_text())["values"]["similarity"] == v["similarity"]
