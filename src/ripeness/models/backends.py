"""Model backends behind one interface: a local HF model, or any OpenAI-compatible server.

``backend.complete(conversations, max_tokens=..., temperature=..., samples=..., seed=...)``
returns, for each conversation, ``samples`` completions (text, tokens, truncated). Probes only
ever talk to this interface, so every probe runs on a checkpoint folder or a served model.

The HTTP backend is async with bounded concurrency, per-request timeouts, retries with
exponential backoff on 429 / 5xx / connection errors, and a response cache keyed by the request:
each answer is written to SQLite the moment it arrives, so a rerun after a crash costs nothing
for what was already answered. A dead server, garbage, or a timeout ends the call with one
line saying what happened and how many answers were kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from ripeness.messages import Message
from ripeness.models.interface import Backend, BackendError, BaseBackend, Completion, Sampling
from ripeness.options import Engine, parse_choice

__all__ = [  # the interface's names stay importable from here, where they used to live
    "Backend",
    "BackendError",
    "Completion",
    "LocalBackend",
    "OpenAIBackend",
    "TrackedBackend",
    "local_backend",
]


class LocalBackend(BaseBackend):
    """A local HF model folder, generating in length-sorted batches."""

    def __init__(self, model_dir: Path, batch_size: int = 64) -> None:
        from ripeness.models.embedded import load_model

        self.model, self.tokenizer = load_model(model_dir)
        self.name = str(model_dir)
        self.batch_size = batch_size

    def answer(
        self, conversations: Sequence[list[Message]], sampling: Sampling
    ) -> list[list[Completion]]:
        from ripeness.models.generate import generate_chat

        samples = sampling.samples
        repeated = [c for c in conversations for _ in range(samples)]
        generations = generate_chat(
            self.model,
            self.tokenizer,
            repeated,
            sampling.max_tokens,
            batch_size=self.batch_size,
            temperature=sampling.temperature,
            seed=sampling.seed,
            on_batch=self.on_progress,
        )
        flat = [Completion(g.text, g.completion_tokens, g.truncated) for g in generations]
        return [flat[i * samples : (i + 1) * samples] for i in range(len(conversations))]


def local_backend(model_dir: Path, engine: str = Engine.AUTO) -> Backend:
    """A model folder answered by ``engine``: ``vllm`` (GPU), ``transformers``
    (``model.generate``, anywhere), or ``auto`` (vLLM where it is installed and a GPU is)."""
    engine = parse_choice(Engine, engine, "engine")
    from ripeness.models.vllm_backend import VLLMBackend, vllm_available

    if engine == Engine.VLLM or (engine == Engine.AUTO and vllm_available()):
        return VLLMBackend(model_dir)
    return LocalBackend(model_dir)


class TrackedBackend(BaseBackend):
    """A backend that counts what it is asked and what it finished, for a progress bar.

    ``asked(n)`` grows the bar's total as each request arrives (a probe's later parts depend
    on its earlier answers, so the total is not known up front); ``done(n)`` advances it."""

    def __init__(
        self, inner: Backend, asked: Callable[[int], None], done: Callable[[int], None]
    ) -> None:
        self.inner, self.asked, self.done = inner, asked, done
        self.name = inner.name

    def answer(
        self, conversations: Sequence[list[Message]], sampling: Sampling
    ) -> list[list[Completion]]:
        self.asked(len(conversations) * sampling.samples)
        previous = getattr(self.inner, "on_progress", None)
        self.inner.on_progress = self.done
        try:
            return self.inner.complete(
                conversations,
                sampling.max_tokens,
                sampling.temperature,
                sampling.samples,
                sampling.seed,
            )
        finally:
            self.inner.on_progress = previous


class ResponseCache:
    """Chat-completion responses by request hash, in SQLite; safe from several threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, body TEXT)")
        self._db.commit()
        self._lock = threading.Lock()

    @staticmethod
    def key(request: dict) -> str:
        return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()

    def get(self, request: dict) -> dict | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM responses WHERE key = ?", (self.key(request),)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, request: dict, response: dict) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?)",
                (self.key(request), json.dumps(response)),
            )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        self._db.close()


RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class OpenAIBackend(BaseBackend):
    """Any server that speaks OpenAI's ``/v1/chat/completions`` (vLLM, TGI, `ripeness serve`)."""

    def __init__(
        self,
        base_url: str,
        model: str = "default",
        api_key: str | None = None,
        concurrency: int = 8,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 0.5,
        cache: Path | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        if not self.base_url.endswith("/v1"):
            self.base_url += "/v1"
        self.model = model
        self.name = f"{self.base_url}#{model}"
        self.api_key = api_key
        self.concurrency = concurrency
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.cache = ResponseCache(cache) if cache else None
        self.requests_sent = 0  # real HTTP requests (cache hits excluded), for tests and benches

    def request_body(
        self, conversation: list[Message], max_tokens: int, temperature: float, samples: int, seed
    ) -> dict:
        return {
            "model": self.model,
            "messages": conversation,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "n": samples,
            "seed": seed,
        }

    def answer(
        self, conversations: Sequence[list[Message]], sampling: Sampling
    ) -> list[list[Completion]]:
        s = sampling
        bodies = [
            self.request_body(list(c), s.max_tokens, s.temperature, s.samples, s.seed)
            for c in conversations
        ]
        return asyncio.run(self._complete_all(bodies))

    async def _complete_all(self, bodies: list[dict]) -> list[list[Completion]]:
        import httpx

        semaphore = asyncio.Semaphore(self.concurrency)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(timeout=self.timeout, headers=headers, limits=limits) as http:

            async def one(body: dict) -> list[Completion]:
                cached = self.cache.get(body) if self.cache is not None else None
                if cached is None:
                    async with semaphore:
                        cached = await self._post(http, body)
                    if self.cache is not None:
                        self.cache.put(body, cached)
                parsed = _parse(cached, self.base_url)
                if self.on_progress:
                    self.on_progress(len(parsed))
                return parsed

            tasks = [asyncio.ensure_future(one(b)) for b in bodies]
            try:
                return list(await asyncio.gather(*tasks))
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise

    async def _post(self, http, body: dict) -> dict:
        import httpx

        url = f"{self.base_url}/chat/completions"
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1) * (1 + random.random()))
            try:
                self.requests_sent += 1
                response = await http.post(url, json=body)
            except httpx.TimeoutException:
                problem = f"no answer within {self.timeout:g} s"
                continue
            except httpx.TransportError as exc:
                problem = f"cannot connect ({type(exc).__name__})"
                continue
            if response.status_code in RETRY_STATUS:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                raise BackendError(
                    f"server at {self.base_url} refused the request: HTTP "
                    f"{response.status_code} {response.text[:120]!r}"
                )
            try:
                return response.json()
            except ValueError:
                raise BackendError(
                    f"server at {self.base_url} answered something that is not JSON: "
                    f"{response.text[:80]!r}"
                ) from None
        kept = (
            f"; {len(self.cache)} answers are cached, rerun to resume"
            if self.cache is not None
            else ""
        )
        raise BackendError(
            f"server at {self.base_url} failed after {self.retries + 1} tries: {problem}{kept}"
        )


def _parse(response: dict, where: str) -> list[Completion]:
    try:
        choices = sorted(response["choices"], key=lambda c: c.get("index", 0))
        completions = []
        for choice in choices:
            text = choice["message"]["content"] or ""
            finish = choice.get("finish_reason")
            completions.append(
                Completion(text, _tokens(response, choice, text), finish == "length")
            )
    except (KeyError, TypeError, AttributeError):
        raise BackendError(
            f"server at {where} answered JSON that is not a chat completion: {str(response)[:100]}"
        ) from None
    if not completions:
        raise BackendError(f"server at {where} answered with no choices")
    return completions


def _tokens(response: dict, choice: dict, text: str) -> int:
    """Completion tokens of one choice: ours report it per choice; else the usage share."""
    if "completion_tokens" in choice:
        return int(choice["completion_tokens"])
    usage = response.get("usage") or {}
    if "completion_tokens" in usage:
        return round(int(usage["completion_tokens"]) / max(1, len(response["choices"])))
    return len(text.split())
