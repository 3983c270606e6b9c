"""``ripeness serve MODEL``: an OpenAI-compatible chat server for a local HF model.

FastAPI + uvicorn, endpoints ``/v1/chat/completions`` (non-streaming), ``/v1/models`` and
``/health``. Concurrent requests are batched: the first waiting request opens a batch, which
takes whatever else arrives within a few milliseconds (up to ``max_batch`` conversations) and
runs as one ``generate`` call, so a client with bounded concurrency gets batched throughput.
At temperature 0 answers are greedy and match the local backend's.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from ripeness.models.generate import Generation, generate_chat


class ChatMessage(BaseModel):
    role: str
    content: str


class ChatRequest(BaseModel):
    model: str | None = None
    messages: list[ChatMessage]
    max_tokens: int | None = 128
    max_completion_tokens: int | None = None
    temperature: float | None = 0.0
    n: int | None = 1
    seed: int | None = 0


@dataclass
class _Pending:
    conversations: list[list[dict[str, str]]]
    max_tokens: int
    temperature: float
    seed: int
    future: asyncio.Future = field(default=None)  # type: ignore[assignment]


class Batcher:
    """Collects concurrent requests into batched ``generate`` calls on one worker thread."""

    def __init__(self, model, tokenizer, max_batch: int = 64, wait_seconds: float = 0.005):
        self.model = model
        self.tokenizer = tokenizer
        self.max_batch = max_batch
        self.wait_seconds = wait_seconds
        self.queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self.batches = 0

    async def submit(self, pending: _Pending) -> list[Generation]:
        pending.future = asyncio.get_running_loop().create_future()
        await self.queue.put(pending)
        return await pending.future

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            first = await self.queue.get()
            batch = [first]
            size = len(first.conversations)
            deadline = loop.time() + self.wait_seconds
            while size < self.max_batch:
                try:
                    item = await asyncio.wait_for(self.queue.get(), deadline - loop.time())
                except (TimeoutError, ValueError):
                    break
                batch.append(item)
                size += len(item.conversations)
            groups: dict[tuple, list[_Pending]] = {}
            for item in batch:  # one generate call per sampling setting
                groups.setdefault((item.max_tokens, item.temperature), []).append(item)
            for (max_tokens, temperature), items in groups.items():
                conversations = [c for item in items for c in item.conversations]
                try:
                    work = functools.partial(
                        generate_chat,
                        self.model,
                        self.tokenizer,
                        conversations,
                        max_tokens,
                        batch_size=self.max_batch,
                        temperature=temperature,
                        seed=items[0].seed,
                    )
                    results = await loop.run_in_executor(None, work)
                except Exception as exc:  # a generation failure fails its requests, not the server
                    for item in items:
                        if not item.future.done():
                            item.future.set_exception(exc)
                    continue
                self.batches += 1
                start = 0
                for item in items:
                    end = start + len(item.conversations)
                    if not item.future.done():
                        item.future.set_result(results[start:end])
                    start = end


def create_app(model_dir: Path, max_batch: int = 64, model_name: str | None = None):
    """The FastAPI app serving ``model_dir``."""
    from ripeness.models.embedded import load_model

    model, tokenizer = load_model(model_dir)
    name = model_name or Path(model_dir).name
    batcher = Batcher(model, tokenizer, max_batch)

    @asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(batcher.run())
        yield
        task.cancel()

    app = FastAPI(title="ripeness serve", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "model": name, "batches": batcher.batches}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "local"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: ChatRequest) -> dict[str, Any]:
        if not request.messages:
            raise HTTPException(status_code=400, detail="messages must not be empty")
        n = request.n or 1
        if not 1 <= n <= 64:
            raise HTTPException(status_code=400, detail="n must be between 1 and 64")
        conversation = [m.model_dump() for m in request.messages]
        max_tokens = request.max_completion_tokens or request.max_tokens or 128
        temperature = request.temperature or 0.0
        generations = await batcher.submit(
            _Pending([conversation] * n, max_tokens, temperature, request.seed or 0)
        )
        choices = [
            {
                "index": i,
                "message": {"role": "assistant", "content": g.text},
                "finish_reason": "length" if g.truncated else "stop",
                "completion_tokens": g.completion_tokens,
            }
            for i, g in enumerate(generations)
        ]
        prompt = tokenizer.apply_chat_template(
            conversation, tokenize=False, add_generation_prompt=True
        )
        prompt_tokens = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
        completion_tokens = sum(g.completion_tokens for g in generations)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": name,
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    return app


def serve(model_dir: Path, host: str = "127.0.0.1", port: int = 8000, max_batch: int = 64):
    import uvicorn

    uvicorn.run(create_app(model_dir, max_batch), host=host, port=port, log_level="warning")
