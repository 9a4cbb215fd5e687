"""Generation at scale: many requests in flight against a real `biasinherit serve` on loopback.

The server batches what arrives together; the client keeps ``concurrency`` requests in
flight, so batches fill. Per-request seeds make the served text equal local decoding.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from biasinherit.generate.backends.openai import OpenAIBackend
from tests.test_backends_openai import Server
from tests.tiny import tiny_model

pytestmark = pytest.mark.slow
N, IN_FLIGHT, SERVER_BATCH = 96, 48, 16


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("tiny") / "llama", "llama")


def _health(url: str) -> dict:
    with urllib.request.urlopen(url.removesuffix("/v1") + "/health", timeout=10) as r:
        return json.loads(r.read())


def test_many_requests_in_flight_fill_the_servers_batches(tiny, tmp_path):
    server = Server(tmp_path, "--model", str(tiny), "--batch-size", str(SERVER_BATCH),
                    "--dtype", "float32")  # fmt: skip
    try:
        client = OpenAIBackend(model="tiny", base_url=server.url, concurrency=IN_FLIGHT)
        prompts = [f"Write about person number {i}." for i in range(N)]
        seeds = list(range(1000, 1000 + N))
        done = []
        gens = client.generate(prompts, max_new_tokens=8, temperature=0.8, top_p=0.95,
                               seeds=seeds, on_done=lambda i, g: done.append(i))  # fmt: skip
        stats = _health(server.url)
    finally:
        server.stop()
    # (a random model may end a row at once: its first token can be end-of-text)
    assert sorted(done) == list(range(N)) and sum(g.completion_tokens for g in gens) > 4 * N
    assert stats["requests"] == N and [r["status"] for r in server.requests()] == [200] * N
    # kept full: most batches are whole server batches, not one request at a time
    assert stats["max_batch"] == SERVER_BATCH and stats["batches"] <= 2 * N // SERVER_BATCH

    from biasinherit.device import Precision
    from biasinherit.generate.backends.transformers import TransformersBackend

    local = TransformersBackend(model=str(tiny), precision=Precision("cpu", "float32"))
    want = local.generate(prompts, max_new_tokens=8, temperature=0.8, top_p=0.95, seeds=seeds)
    assert [g.text for g in gens] == [g.text for g in want]  # batching changes no answer


def test_generate_stage_hands_an_endpoint_every_request_at_once(tiny, tmp_path):
    """No drain between chunks: with generate.batch_size 4 the server still sees batches
    as large as the client's concurrency allows."""
    from tests.conftest import run_cli

    server = Server(tmp_path, "--model", str(tiny), "--batch-size", str(SERVER_BATCH))
    try:
        res = run_cli("generate", "--preset", "smoke", "--set", "generate.backend=openai",
                      "--set", f"augment.base_url={server.url}", "--set", "generate.batch_size=4",
                      "--set", "augment.concurrency=32", "--set", "augment.label_check=none",
                      "--set", f"augment.cache_dir={tmp_path / 'cache'}", "--n", "8",
                      "-b", "contrastive_single_explicit", "-o", str(tmp_path / "run"))  # fmt: skip
        stats = _health(server.url)
    finally:
        server.stop()
    # the random model's text is refused by the quality gates after every request was sent
    assert res.returncode == 2 and "writes unusable rows" in res.stderr, res.stderr[-2000:]
    assert stats["requests"] >= 13 and stats["max_batch"] > 4, stats  # chunks of 4 before
