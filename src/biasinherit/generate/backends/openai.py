"""Any OpenAI-compatible HTTP endpoint (vLLM, Ollama, llama.cpp server, hosted APIs).

``POST {base_url}/chat/completions`` with the standard library only. The API key is read from
the environment variable the config names (never from a file, never logged). Requests run
``concurrency`` at a time, and the generate stage hands this backend all of a round's
requests at once (``keeps_in_flight``), so a batching server (vLLM, TGI, llama.cpp's server,
``biasinherit serve``) always has ``concurrency`` requests to batch, with no drain between
chunks; 429, 5xx and timeouts are retried with exponential backoff; an endpoint that is
down, a rejected key and exhausted retries are one-line errors.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from pydantic import Field

from biasinherit.errors import BiasInheritError
from biasinherit.generate.backends._base import BACKENDS, Generation, Params
from biasinherit.settings import HttpUrl

RETRY_STATUS = {429, 500, 502, 503, 504}
DEFAULT_URL = "http://127.0.0.1:8000/v1"


class OpenAIParams(Params):
    base_url: HttpUrl = Field(DEFAULT_URL, description="endpoint root including /v1")
    api_key_env: str | None = Field(
        None,
        description="NAME of the environment variable holding the API key, never the key",
    )
    concurrency: int = Field(4, ge=1, le=256, description="requests in flight")
    timeout: float = Field(60.0, gt=0, description="seconds per request before a retry")
    max_retries: int = Field(4, ge=0, le=20, description="retries on 429/5xx/timeouts")
    backoff: float = Field(0.5, ge=0, description="first retry's wait in seconds, doubling")


@BACKENDS.register("openai")
class OpenAIBackend:
    """Chat completions over HTTP.

    Parameters
    ----------
    model : str
        The model name the endpoint serves.
    base_url : str
        Endpoint root including ``/v1``, e.g. ``http://127.0.0.1:8000/v1``.
    api_key_env : str, optional
        Name of the environment variable holding the API key (the key itself never goes in
        the config).
    concurrency : int
        Requests in flight at once.
    timeout : float
        Seconds per request before it counts as timed out (and is retried).
    max_retries : int
        Retries of one request on 429/5xx/timeout; waits ``backoff * 2**attempt`` seconds.
    """

    Params = OpenAIParams
    keeps_in_flight = True  # give it every request at once: it bounds what is in flight

    def __init__(
        self,
        *,
        model: str,
        batch_size: int = 32,
        base_url: str = DEFAULT_URL,
        api_key_env: str | None = None,
        concurrency: int = 4,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 0.5,
    ) -> None:
        self.model = model
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.base_url = base_url
        self.concurrency = max(1, concurrency)
        self.timeout, self.max_retries, self.backoff = timeout, max_retries, backoff
        self.api_key_env = api_key_env
        self._key = None
        if api_key_env:
            self._key = os.environ.get(api_key_env)
            if not self._key:
                raise BiasInheritError(
                    f"environment variable {api_key_env} (the API key) is not set",
                    f"export {api_key_env}=... before running",
                )
        self.identity = f"openai:{base_url.rstrip('/')}:{model}"
        self.n_requests = 0  # sent over the wire, retries included

    @classmethod
    def identity_for(cls, model: str, params: OpenAIParams) -> str:
        """``identity`` without a request: the endpoint and the model name it serves."""
        return f"openai:{params.base_url.rstrip('/')}:{model}"

    def generate(
        self,
        prompts: list[str],
        *,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        seeds: list[int],
        on_done: Callable[[int, Generation], None] | None = None,
    ) -> list[Generation]:
        out: list[Generation | None] = [None] * len(prompts)
        pool = ThreadPoolExecutor(self.concurrency)
        try:
            futs = {
                pool.submit(self._one, p, max_new_tokens, temperature, top_p, s): i
                for i, (p, s) in enumerate(zip(prompts, seeds, strict=True))
            }
            pending = set(futs)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                errors = [f.exception() for f in finished if f.exception() is not None]
                for f in finished:  # save what finished before raising
                    if f.exception() is None:
                        out[futs[f]] = f.result()
                        if on_done:
                            on_done(futs[f], out[futs[f]])  # type: ignore[arg-type]
                if errors:
                    raise errors[0]
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return out  # type: ignore[return-value]

    def _one(
        self, prompt: str, max_new_tokens: int, temperature: float, top_p: float, seed: int
    ) -> Generation:
        body = json.dumps(
            {
                "model": self.model,
                "messages": [{"role": "user", "content": prompt}],
                "max_tokens": max_new_tokens,
                "temperature": temperature,
                "top_p": top_p,
                "seed": int(seed) % (2**31),
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        last = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            self.n_requests += 1
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    data = json.loads(resp.read())
                usage = data.get("usage") or {}
                content = data["choices"][0]["message"].get("content") or ""
                if not isinstance(content, str):
                    raise TypeError("content is not text")
                return Generation(
                    content,
                    int(usage.get("prompt_tokens", 0)),
                    int(usage.get("completion_tokens", 0)),
                )
            except urllib.error.HTTPError as e:
                if e.code in (401, 403):
                    raise BiasInheritError(
                        f"{self.base_url} rejected the API key (HTTP {e.code})",
                        f"check the key in ${self.api_key_env}"
                        if self.api_key_env
                        else "set augment.api_key_env to the variable holding the key",
                    ) from None
                if e.code not in RETRY_STATUS:
                    detail = e.read(300).decode("utf-8", "replace").replace("\n", " ")
                    raise BiasInheritError(
                        f"{self.url} answered HTTP {e.code}: {detail}",
                        "check the model name and request settings",
                    ) from None
                last = f"HTTP {e.code}"
            except TimeoutError:
                last = f"timed out after {self.timeout:g} s"
            except urllib.error.URLError as e:
                if isinstance(e.reason, (TimeoutError, socket.timeout)):
                    last = f"timed out after {self.timeout:g} s"
                    continue
                raise BiasInheritError(
                    f"cannot reach {self.base_url}: {_reason(e.reason)}",
                    "start the server or fix augment.base_url",
                ) from None
            except (ConnectionError, http.client.HTTPException) as e:
                last = f"connection lost ({type(e).__name__})"
            except (ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
                # Not JSON (ValueError covers JSONDecodeError and undecodable bytes), or
                # JSON of the wrong shape: the endpoint is not OpenAI-compatible, or broken.
                last = f"malformed response ({type(e).__name__})"
        hint = (
            "lower augment.concurrency or retry later"
            if last == "HTTP 429"
            else "check the server's health, or raise augment.timeout"
        )
        what = "rate limited" if last == "HTTP 429" else "failed"
        raise BiasInheritError(f"{self.url} {what} ({last}) after {self.max_retries} retries", hint)


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    return str(getattr(reason, "strerror", None) or reason).splitlines()[0]
