"""Backends: a real server on loopback, and the HTTP client's behaviour when servers misbehave."""

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from ripeness.models.backends import BackendError, LocalBackend, OpenAIBackend
from ripeness.probes.base import ProbeSettings
from ripeness.probes.catalog import get_probe
from ripeness.records.run import finite

pytestmark = pytest.mark.slow
QUESTIONS = [[{"role": "user", "content": f"What is {a}+{b}+3?"}] for a, b in [(12, 4), (40, 9)]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model_dir, port):
    process = subprocess.Popen(
        [sys.executable, "-m", "ripeness.cli", "serve", str(model_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not start")


@pytest.fixture(scope="module")
def server(default_model_dir):
    port = free_port()
    process = start_server(default_model_dir, port)
    yield f"http://127.0.0.1:{port}"
    process.kill()
    process.wait()


def test_server_speaks_openai_chat_completions(server):
    body = {"model": "x", "messages": QUESTIONS[0], "max_tokens": 64, "n": 2, "temperature": 1.0}
    reply = httpx.post(f"{server}/v1/chat/completions", json=body, timeout=60).json()
    assert reply["object"] == "chat.completion" and len(reply["choices"]) == 2
    assert reply["usage"]["completion_tokens"] > 0
    assert "Answer:" in reply["choices"][0]["message"]["content"]
    assert httpx.get(f"{server}/v1/models").json()["data"][0]["object"] == "model"
    bad = httpx.post(f"{server}/v1/chat/completions", json={"messages": []}, timeout=10)
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "probe",
    ["skills", "calibration", "sycophancy", "hallucinated_actions", "reward_hacking", "planning"],
)
def test_every_probe_gives_equal_results_through_both_backends(
    probe, default_model_dir, server, tmp_path
):
    settings = ProbeSettings(samples=2, difficulties=(1, 4, 7), max_tokens=96)
    local = get_probe(probe).run(LocalBackend(default_model_dir), settings)
    http = OpenAIBackend(server, "tiny", concurrency=4, cache=tmp_path / "cache.sqlite")
    remote = get_probe(probe).run(http, settings)
    assert len(local.records) == len(remote.records) > 0
    assert local.records == remote.records
    assert finite(local.summary_dict()) == finite(remote.summary_dict())  # NaN-safe
    assert http.requests_sent > 0


def test_rerun_costs_nothing_thanks_to_the_cache(server, tmp_path):
    first = OpenAIBackend(server, "tiny", cache=tmp_path / "cache.sqlite")
    answers = first.complete(QUESTIONS, max_tokens=64)
    again = OpenAIBackend(server, "tiny", cache=tmp_path / "cache.sqlite")
    assert again.complete(QUESTIONS, max_tokens=64) == answers
    assert again.requests_sent == 0


def test_server_dying_mid_probe_keeps_answers_and_resumes(default_model_dir, tmp_path):
    port = free_port()
    process = start_server(default_model_dir, port)
    url = f"http://127.0.0.1:{port}"
    cache = tmp_path / "cache.sqlite"
    settings = ProbeSettings(samples=40, difficulties=(2, 3, 4, 5, 6, 7), max_tokens=96)
    backend = OpenAIBackend(url, "tiny", concurrency=1, retries=1, backoff=0.05, cache=cache)
    errors = []

    def probe():
        try:
            get_probe("skills").run(backend, settings)
        except BackendError as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=probe)
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not cache.exists() or len(backend.cache) < 10):
        time.sleep(0.05)
    process.kill()
    process.wait()
    thread.join(timeout=120)
    assert len(errors) == 1 and "\n" not in errors[0]
    assert "cannot connect" in errors[0] and "rerun to resume" in errors[0]
    kept = len(backend.cache)
    assert 10 <= kept < 240

    process = start_server(default_model_dir, port)
    try:
        resumed = OpenAIBackend(url, "tiny", concurrency=4, cache=cache)
        result = get_probe("skills").run(resumed, settings)
    finally:
        process.kill()
    assert len(result.records) == 240
    assert resumed.requests_sent == 240 - kept  # only what was missing was asked again


class Misbehaving(BaseHTTPRequestHandler):
    mode = "garbage"
    calls = 0

    def do_POST(self):  # noqa: N802 (http.server's naming)
        type(self).calls += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.mode == "slow":
            time.sleep(3)
        if self.mode == "throttle" and type(self).calls == 1:
            self.send_response(429)
            self.end_headers()
            return
        body = {
            "garbage": b"<html>oops</html>",
            "not-chat": json.dumps({"result": 42}).encode(),
        }.get(
            self.mode,
            json.dumps(
                {
                    "choices": [
                        {"index": 0, "message": {"content": "Answer: 7"}, "finish_reason": "stop"}
                    ]
                }
            ).encode(),
        )
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
        except BrokenPipeError:  # the client gave up waiting, as the timeout test intends
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def misbehaving():
    servers = []

    def start(mode):
        handler = type("Handler", (Misbehaving,), {"mode": mode, "calls": 0})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}", handler

    yield start
    for httpd in servers:
        httpd.shutdown()


def test_garbage_and_timeouts_are_one_clear_line(misbehaving, tmp_path):
    url, _ = misbehaving("garbage")
    with pytest.raises(BackendError, match="not JSON"):
        OpenAIBackend(url).complete(QUESTIONS[:1])
    url, _ = misbehaving("not-chat")
    with pytest.raises(BackendError, match="not a chat completion"):
        OpenAIBackend(url).complete(QUESTIONS[:1])
    url, _ = misbehaving("slow")
    start = time.monotonic()
    with pytest.raises(BackendError, match="no answer within 0.5 s"):
        OpenAIBackend(url, timeout=0.5, retries=1, backoff=0.01).complete(QUESTIONS[:1])
    assert time.monotonic() - start < 3


def test_throttling_is_retried_with_backoff(misbehaving):
    url, handler = misbehaving("throttle")
    backend = OpenAIBackend(url, backoff=0.01)
    assert backend.complete(QUESTIONS[:1])[0][0].text == "Answer: 7"
    assert handler.calls == 2
