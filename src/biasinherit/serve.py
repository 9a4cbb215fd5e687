"""A small OpenAI-compatible server for a local model: ``biasinherit serve``.

``POST /v1/chat/completions`` (one user turn), ``GET /v1/models``, ``GET /health`` (with
request and batch counts). Requests that arrive together are decoded together in one batch by
the project's transformers backend (each with its own seed, so batching does not change an
answer), in the device and dtype of ``--device``/``--dtype``. The listen backlog holds a
client's whole burst of connections (256 requests in flight included). The model loads on
the first request. For testing clients, ``fault`` makes the server answer an HTTP status
(429, 500, 503, 401) for the first N requests, for real over the wire. Binds to loopback by
default; the request log holds body hashes and statuses, never headers or keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from biasinherit.errors import BiasInheritError


class _Batcher:
    """Collects concurrent requests for ``wait`` seconds and decodes them as one batch."""

    def __init__(self, model: str, batch_size: int, wait: float = 0.02) -> None:
        self.model, self.batch_size, self.wait = model, batch_size, wait
        self.q: queue.Queue = queue.Queue()
        self.backend = None
        self._lock = threading.Lock()
        self.stats = {"requests": 0, "batches": 0, "max_batch": 0}
        threading.Thread(target=self._loop, daemon=True).start()

    def submit(self, prompt: str, params: tuple, seed: int):
        done = threading.Event()
        slot: dict = {}
        self.q.put((prompt, params, seed, done, slot))
        done.wait()
        if "error" in slot:
            raise slot["error"]
        return slot["gen"]

    def _loop(self) -> None:
        from biasinherit.generate.backends import make_backend

        while True:
            items = [self.q.get()]
            deadline = time.monotonic() + self.wait
            while len(items) < self.batch_size and (left := deadline - time.monotonic()) > 0:
                try:
                    items.append(self.q.get(timeout=left))
                except queue.Empty:
                    break
            try:
                if self.backend is None:
                    self.backend = make_backend(
                        "transformers", model=self.model, batch_size=self.batch_size
                    )
                self.stats["batches"] += 1
                self.stats["requests"] += len(items)
                self.stats["max_batch"] = max(self.stats["max_batch"], len(items))
                by_params: dict[tuple, list] = {}
                for it in items:
                    by_params.setdefault(it[1], []).append(it)
                for (max_tokens, temperature, top_p), group in by_params.items():
                    gens = self.backend.generate(
                        [g[0] for g in group],
                        max_new_tokens=max_tokens,
                        temperature=temperature,
                        top_p=top_p,
                        seeds=[g[2] for g in group],
                    )
                    for it, gen in zip(group, gens, strict=True):
                        it[4]["gen"] = gen
            except Exception as e:  # answer every waiting request with the failure
                for it in items:
                    it[4].setdefault("error", e)
            for it in items:
                it[3].set()


def make_server(
    *,
    model: str = "smollm2-135m-instruct",
    host: str = "127.0.0.1",
    port: int = 8000,
    batch_size: int = 32,
    api_key_env: str | None = None,
    fault: str | None = None,
    log: str | os.PathLike | None = None,
) -> ThreadingHTTPServer:
    """Build (not start) the server; ``server.server_address`` has the bound port."""
    key = os.environ.get(api_key_env) if api_key_env else None
    if api_key_env and not key:
        raise BiasInheritError(
            f"environment variable {api_key_env} is not set", f"export {api_key_env}=..."
        )
    fault_status, fault_left = None, 0
    if fault:
        code, _, n = fault.partition(":")
        if code not in {"401", "429", "500", "502", "503"}:
            raise BiasInheritError(f"unsupported fault {fault!r}", "use 429, 500, 503 or 401[:N]")
        fault_status, fault_left = int(code), int(n) if n else 10**9
    batcher = _Batcher(model, batch_size)
    state = {"fault_left": fault_left, "n": 0}
    lock = threading.Lock()
    log_path = Path(log) if log else None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep stderr quiet; see the JSONL log
            pass

        def _send(self, status: int, obj: dict) -> None:
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if status == 429:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(body)

        def _log(self, body: bytes, status: int) -> None:
            if log_path is None:
                return
            row = {"t": time.time(), "sha": hashlib.sha256(body).hexdigest(), "status": status}
            with lock, log_path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")

        def do_GET(self) -> None:
            if self.path.rstrip("/") in ("/health", "/v1/health"):
                self._send(200, {"status": "ok", **batcher.stats})
            elif self.path.rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": model, "object": "model"}]})
            else:
                self._send(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._send(404, {"error": {"message": "not found"}})
            with lock:
                state["n"] += 1
                faulty = fault_status is not None and state["fault_left"] > 0
                if faulty:
                    state["fault_left"] -= 1
            if faulty:
                self._log(body, fault_status)
                return self._send(fault_status, {"error": {"message": f"fault {fault_status}"}})
            if key is not None and self.headers.get("Authorization") != f"Bearer {key}":
                self._log(body, 401)
                return self._send(401, {"error": {"message": "invalid API key"}})
            try:
                req = json.loads(body)
                prompt = "\n".join(m["content"] for m in req["messages"] if m.get("role") == "user")
                params = (
                    int(req.get("max_tokens") or 64),
                    float(req.get("temperature", 1.0)),
                    float(req.get("top_p", 1.0)),
                )
                seed = int(req.get("seed") or 0)
            except (ValueError, KeyError, TypeError):
                self._log(body, 400)
                return self._send(400, {"error": {"message": "malformed chat request"}})
            try:
                gen = batcher.submit(prompt, params, seed)
            except Exception as e:
                self._log(body, 500)
                return self._send(500, {"error": {"message": type(e).__name__}})
            self._log(body, 200)
            self._send(
                200,
                {
                    "id": "chatcmpl-" + hashlib.sha256(body).hexdigest()[:16],
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": req.get("model", model),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": gen.text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": gen.prompt_tokens,
                        "completion_tokens": gen.completion_tokens,
                        "total_tokens": gen.prompt_tokens + gen.completion_tokens,
                    },
                },
            )

    return _Server((host, port), Handler)


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # the default 5 drops a concurrent client's burst of connects
    daemon_threads = True
