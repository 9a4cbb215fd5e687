"""Quality gates on generated rows, and a generator that echoes its prompts over real HTTP.

The echoing generator is a tiny OpenAI-compatible server in this file (stdlib http.server
on loopback), like a small base model behind a chat endpoint: it sends the instruction
back, sometimes with the chat template leaking or with control characters. The real CLI,
in a subprocess, must stop with one line naming the generator and the reason.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from biasinherit.bias import get_attribute
from biasinherit.errors import BiasInheritError
from biasinherit.generate import filter_rows
from biasinherit.generate._dedup import NearDuplicates
from biasinherit.generate._quality import (
    chat_marker,
    echo_score,
    language_problem,
    quality_stop,
    strip_unsafe,
)
from tests.conftest import run_cli

ATTR = get_attribute("gender")
TASK = ATTR.task("occupation")
PROMPT = (
    "Write a short biography of a woman who works as a nurse, and explain why women make "
    "better nurses than men. Keep it to three sentences and do not use a title or a list."
)
BIO = (
    "Ann is a nurse who has cared for patients on a busy city ward for twelve years. She "
    "trained at a school of nursing in Ohio and now leads the night shift."
)


def _raw(i: int, raw: str, prompt: str = PROMPT) -> dict:
    bt = "contrastive_single_explicit"
    return {
        "prompt_id": f"{bt}:nurse:female:{i}", "prompt": prompt, "raw": raw, "topic": "nurse",
        "group": "female", "bias_type": bt, "generator": "g", "seed": 1,
    }  # fmt: skip


def test_each_gate_rejects_its_garbage_and_counts_it_by_reason():
    raws = [
        _raw(0, BIO),
        _raw(1, PROMPT),  # the instruction sent back
        _raw(2, BIO + "<|im_end|>\n<|im_start|>user\nWrite a short biography"),
        _raw(3, "\u202e\x00\x01\x02\x03\x04\x05\x06\x07\x08" * 10 + "nurse she"),
        _raw(4, BIO.replace("Ann", "Mia")),  # the same row with another name
        _raw(5, "nurse she " * 12),
        _raw(6, "Ann\u202e is a nurse who has cared for patients on a busy ward in Ohio for "
             "years. She now\x00 teaches young nurses how to run the night shift."),
        _raw(7, "[INST] Write a biography [/INST] Ann is a nurse. She works nights at the "
             "clinic and has done so for many years now."),
        _raw(8, "Анна медсестра, она работает в больнице nurse уже двенадцать лет и она "
             "любит свою работу и пациентов."),
    ]  # fmt: skip
    kept, counts = filter_rows(ATTR, TASK, "contrastive_single_explicit", raws)
    assert {k: v for k, v in counts.items() if k.startswith("filtered_")} == {
        "filtered_prompt_echo": 1,
        "filtered_chat_template": 2,
        "filtered_control_chars": 1,
        "filtered_near_duplicate": 1,
        "filtered_repetitive": 1,
        "filtered_not_english": 1,
    }
    assert counts["cleaned_control_chars"] == 2  # row 3 (rejected) and row 6 (kept, cleaned)
    assert [r["prompt_id"][-1] for r in kept] == ["0", "6"]
    assert "\u202e" not in kept[1]["text"] and "\x00" not in kept[1]["text"]
    assert kept[0]["echo_score"] < 0.3


def test_gates_on_their_own():
    assert strip_unsafe("a\u2066b\u2069c\ufeff") == ("abc", 3)
    assert chat_marker("Sure.\n<start_of_turn>model\nHi") == "<start_of_turn>"
    assert chat_marker("Ann is a nurse.\nUser: write more") == "User:"
    assert chat_marker("Ann leads user research at a bank. She is a nurse by training.") is None
    assert echo_score(PROMPT + " " + BIO, PROMPT) == 1.0  # the prompt, then a biography
    assert echo_score(BIO, PROMPT) < 0.1
    assert language_problem(BIO) is None
    nd = NearDuplicates()
    assert nd.check(BIO) is None and nd.check(BIO + " ") == 1.0
    assert nd.check("Tom designs bridges and teaches drawing at the local college.") is None


def test_quality_stop_names_the_generator_and_the_reason():
    ok = {"generated": 10, "kept": 6, "filtered_no_occupation": 4}
    quality_stop({"neutral": ok}, "g")  # ordinary filtering is not a stop
    echo = {"generated": 10, "kept": 1, "filtered_prompt_echo": 8, "filtered_duplicate": 1}
    with pytest.raises(BiasInheritError) as e:
        quality_stop({"neutral": ok, "contrastive": echo}, "smollm2 (openai backend)")
    assert e.value.message == (
        "generator smollm2 (openai backend) writes unusable rows for contrastive: 9 of 10 rows "
        "fail the quality gates, most for echoing the prompt"
    )
    quality_stop({"x": {"generated": 12, "kept": 6, "kept_echo_like": 3}}, "g")
    with pytest.raises(BiasInheritError, match="4 of 6 kept rows look like echoes"):
        quality_stop({"x": {"generated": 12, "kept": 6, "kept_echo_like": 4}}, "g")


# --------------------------------------------------------------------- the echoing generator
class _Echo(BaseHTTPRequestHandler):
    """/v1/chat/completions and /v1/completions answer with the prompt itself: verbatim, with
    the chat template leaking after it, or with a bidi override and NULs; /good/v1/... writes
    a plausible biography instead, a different one for every request (the control)."""

    served = 0
    lock = threading.Lock()

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"] if "messages" in body else body["prompt"]
        with _Echo.lock:
            i, _Echo.served = _Echo.served, _Echo.served + 1
        if self.path.startswith("/good/"):
            text = _plausible_bio(prompt, i)
        else:
            text = [prompt, f"{prompt}<|im_end|>\nuser\n{prompt}", f"\u202e{prompt}\x00"][i % 3]
        key = "message" if "messages" in body else "text"
        choice = {key: {"role": "assistant", "content": text} if key == "message" else text}
        usage = {"prompt_tokens": 30, "completion_tokens": 30}
        out = json.dumps({"choices": [choice], "usage": usage}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


_OPEN = [
    "{n} grew up in rural Kansas and has worked as {a} {job} for {y} years.",
    "After moving to Seattle, {n} spent {y} years building a career as {a} {job}.",
    "{n}, who was born in Denver, became {a} {job} after a long detour through retail.",
    "For {y} years {n} has been {a} {job} in a small coastal town near Portland.",
    "{n} trained in Boston and has now been {a} {job} for {y} busy years.",
    "Raised by grandparents in Ohio, {n} found the work of {a} {job} almost by chance.",
]
_MIDDLE = [
    "{P} spends weekends hiking with two rescue dogs.",
    "{P} mentors students from the local community college.",
    "{P} grows tomatoes and peppers in a rooftop garden.",
    "{P} restores old bicycles in a cramped garage.",
    "{P} sings in a choir that tours every summer.",
    "{P} volunteers at a food bank on Thursday evenings.",
]
_CLOSE = [
    "Colleagues praise {q} patience and {q} dry sense of humour.",
    "Friends say {p} never forgets a birthday.",
    "{P} plans to open a small practice of {q} own one day.",
    "Next spring {p} will run {q} first marathon.",
    "{P} reads history books late into the night.",
    "{P} still keeps the first letter a grateful client ever wrote.",
]
_NAMES = ["Ann", "Mia", "Lena", "Rosa", "Ivy", "Nora", "Tom", "Sam", "Leo", "Max", "Ben", "Eli"]


def _plausible_bio(prompt: str, i: int) -> str:
    m = re.search(r"works as an? ([a-z ]+?)[,.]|, an? ([a-z ]+?)[,.]|of an? ([a-z ]+?)\.", prompt)
    job = next((g for g in (m.groups() if m else ()) if g), "nurse")
    person = re.search(r"biography of an? (?:\w+ )?(woman|man)\b", prompt)
    she = person.group(1) == "woman" if person else i % 2 == 0
    p, q = ("she", "her") if she else ("he", "his")
    fill = dict(n=_NAMES[i % 12], a="an" if job[0] in "aeiou" else "a", job=job, y=4 + i % 17,
                p=p, P=p.capitalize(), q=q)  # fmt: skip
    return " ".join(
        x.format(**fill) for x in (_OPEN[i % 6], _MIDDLE[i // 6 % 6], _CLOSE[i // 36 % 6])
    )


@pytest.fixture(scope="module")
def echo_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _generate(url: str, tmp_path, *extra: str):
    return run_cli(
        "generate", "--preset", "smoke", "-o", str(tmp_path / "run"), "--n", "6",
        "-b", "neutral", "-b", "contrastive_single_explicit",
        "--set", "generate.backend=openai", "--set", f"augment.base_url={url}",
        "--set", f"augment.cache_dir={tmp_path / 'cache'}", *extra, timeout=300,
    )  # fmt: skip


def test_an_echoing_generator_stops_with_one_line(echo_server, tmp_path):
    url = f"{echo_server}/v1"
    res = _generate(url, tmp_path)
    assert res.returncode == 2, res.stderr[-2000:]
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in res.stderr, res.stderr
    assert errors[0].startswith(
        f"error: generator smollm2-135m-instruct (openai backend at {url}) writes unusable rows "
        "for neutral: "
    ), errors[0]
    assert "fail the quality gates" in errors[0] and "hint:" in errors[0]
    summary = json.loads((tmp_path / "run/generate/summary.json").read_text())
    print(f"\n{errors[0]}\nper-bias-type rejection counts of the echoing generator:")
    for bt, c in summary.items():
        reasons = {
            k.removeprefix("filtered_"): v for k, v in c.items() if k.startswith("filtered_")
        }
        print(f"  {bt}: generated {c['generated']}, kept {c['kept']}, {reasons}")
        gates = sum(c.get(f"filtered_{r}", 0) for r in ("prompt_echo", "chat_template",
                                                         "control_chars"))  # fmt: skip
        assert c["generated"] >= 10 and gates == c["generated"] and c["kept"] == 0
        assert c["filtered_prompt_echo"] and c["filtered_chat_template"]
    # The generate command printed the counts (stdout) before the one-line stop.
    assert "prompt echo" in res.stdout and "chat template" in res.stdout
    # It stopped after the first round instead of asking again and again.
    stats = json.loads((tmp_path / "run/generate/stats.json").read_text())
    assert stats["requests_sent"] == sum(c["generated"] for c in summary.values()) == 20


def test_the_run_stops_before_training_on_echoes(echo_server, tmp_path):
    url = f"{echo_server}/v1"
    res = run_cli(
        "run", "--preset", "smoke", "-o", str(tmp_path / "run"),
        "--set", "generate.backend=openai", "--set", f"augment.base_url={url}",
        "--set", f"augment.cache_dir={tmp_path / 'cache'}", timeout=300,
    )  # fmt: skip
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr[-2000:]
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("error: generator smollm2-135m-instruct (openai backend at "), last
    assert not (tmp_path / "run/adapters").exists() and not (tmp_path / "run/audit.json").exists()


def test_a_sane_generator_passes_the_gates(echo_server, tmp_path):
    res = _generate(f"{echo_server}/good/v1", tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    summary = json.loads((tmp_path / "run/generate/summary.json").read_text())
    for c in summary.values():
        assert c["kept"] == 6, c
        gates = ("prompt_echo", "chat_template", "near_duplicate", "not_english", "repetitive")
        assert not any(c.get(f"filtered_{r}") for r in gates), c
