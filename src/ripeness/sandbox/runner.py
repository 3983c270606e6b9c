"""Run model-written code and its tests in a locked-down child process.

Each run gets a throwaway folder, a scrubbed environment, limits on CPU time, wall time,
memory, processes, open files and output size, no network, and an audit hook that refuses
process creation, native code and writes outside its folder (see ``sandbox/child.py``). The
result says, per test, whether it passed; why the run failed, in one line; which actions were
refused; and whether the test file differs from the one the task shipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

CHILD = Path(__file__).with_name("child.py")
NOBODY = 65534
RESULT_LIMIT_BYTES = 256 * 1024


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 5
    wall_seconds: float = 10.0
    memory_mb: int = 512
    processes: int = 32
    open_files: int = 64
    file_size_kb: int = 1024  # also caps stdout + stderr, which go to a file

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value <= 0:
                raise ValueError(f"sandbox limit {name} must be positive, got {value}")


@dataclass
class SandboxResult:
    tests: dict[str, bool] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    status: str = "ok"  # ok | collection_error | timeout | cpu_limit | memory_limit |
    # output_limit | crashed
    reason: str = ""
    blocked: list[str] = field(default_factory=list)
    test_file_changed: bool = False
    isolation: dict[str, bool] = field(default_factory=dict)
    seconds: float = 0.0
    output: str = ""

    @property
    def passed(self) -> bool:
        """Every collected test passed, at least one ran, and nothing went wrong."""
        return self.status == "ok" and bool(self.tests) and all(self.tests.values())

    @property
    def pass_fraction(self) -> float:
        return sum(self.tests.values()) / len(self.tests) if self.tests else 0.0


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _prepare(workdir: Path, files: Mapping[str, str]) -> None:
    for name, content in files.items():
        path = (workdir / name).resolve()
        if workdir.resolve() not in path.parents:
            raise ValueError(f"sandbox file {name!r} would land outside the sandbox folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    if os.geteuid() == 0:  # the child drops to nobody and must be able to write its folder
        for root, dirs, names in os.walk(workdir):
            for name in [*dirs, *names]:
                os.chown(Path(root) / name, NOBODY, NOBODY)
        os.chown(workdir, NOBODY, NOBODY)


def _environment(workdir: Path) -> dict[str, str]:
    """Nothing from the host's environment: no tokens, keys or proxies reach the child."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def run_tests(
    files: Mapping[str, str],
    test_file: str = "test_solution.py",
    shipped_tests: str | None = None,
    limits: Limits = Limits(),
) -> SandboxResult:
    """Write ``files`` to a fresh folder and run ``test_file``'s ``test_*`` functions there.

    ``shipped_tests`` is the test file as the task wrote it: if the run's test file differs
    from it, before or after running, ``test_file_changed`` is set.
    """
    if test_file not in files:
        raise ValueError(f"the test file {test_file!r} is not among the files to run")
    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="ripeness-sandbox-"))
    try:
        _prepare(workdir, files)
        result = _run(workdir, test_file, limits)
        after = (workdir / test_file).read_text() if (workdir / test_file).is_file() else ""
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    shipped = _digest(shipped_tests) if shipped_tests is not None else _digest(files[test_file])
    result.test_file_changed = shipped != _digest(files[test_file]) or _digest(after) != _digest(
        files[test_file]
    )
    result.seconds = time.perf_counter() - start
    return result


def _run(workdir: Path, test_file: str, limits: Limits) -> SandboxResult:
    nonce = secrets.token_hex(16)
    read_end, write_end = os.pipe()
    output_path = workdir / ".output"
    with open(output_path, "wb") as output:
        if os.geteuid() == 0:
            os.chown(output_path, NOBODY, NOBODY)
        process = subprocess.Popen(
            [sys.executable, "-I", "-B", str(CHILD)],
            cwd=workdir,
            env=_environment(workdir),
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=subprocess.STDOUT,
            pass_fds=(write_end,),
            start_new_session=True,
            close_fds=True,
        )
    os.close(write_end)
    chunks: list[bytes] = []
    reader = threading.Thread(target=_read_capped, args=(read_end, chunks), daemon=True)
    reader.start()
    try:
        process.stdin.write(
            json.dumps(
                {
                    "nonce": nonce,
                    "channel": write_end,
                    "test_file": test_file,
                    "limits": asdict(limits),
                }
            ).encode()
        )
        process.stdin.close()
    except BrokenPipeError:
        pass
    timed_out = False
    try:
        process.wait(timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
    _kill_group(process)  # also takes any stragglers the child managed to leave
    process.wait()
    reader.join(timeout=5)
    output_text = output_path.read_bytes()[-4000:].decode(errors="replace")
    return _interpret(b"".join(chunks), nonce, process.returncode, timed_out, output_text, limits)


def _read_capped(fd: int, chunks: list[bytes]) -> None:
    """Read the result pipe until it closes, keeping at most ``RESULT_LIMIT_BYTES``."""
    kept = 0
    with os.fdopen(fd, "rb") as pipe:
        for chunk in iter(lambda: pipe.read(65536), b""):
            if kept < RESULT_LIMIT_BYTES:
                chunks.append(chunk)
                kept += len(chunk)


def _interpret(
    raw: bytes, nonce: str, returncode: int, timed_out: bool, output: str, limits: Limits
) -> SandboxResult:
    result = SandboxResult(output=output)
    collected: list[str] = []
    done = forged = False
    collection_error = ""
    for line in raw.decode(errors="replace").splitlines():
        tag, _, body = line.partition(" ")
        if tag != nonce:
            forged = forged or bool(line.strip())
            continue
        record = json.loads(body)
        if "isolation" in record:
            result.isolation = record["isolation"]
        elif "blocked" in record:
            result.blocked.append(record["blocked"])
        elif "collection_error" in record:
            collection_error = record["collection_error"]
        elif "collected" in record:
            collected = record["collected"]
            result.tests = dict.fromkeys(collected, False)
        elif "test" in record:
            result.tests[record["test"]] = bool(record["passed"])
            if record.get("error"):
                result.errors[record["test"]] = record["error"]
        elif record.get("done"):
            done = True
    memory = any("MemoryError" in e for e in result.errors.values()) or "MemoryError" in (
        collection_error + output[-500:]
    )
    if timed_out:
        result.status, result.reason = "timeout", f"wall time limit ({limits.wall_seconds:g} s)"
    elif returncode in (-signal.SIGXCPU, -signal.SIGKILL) and not done:
        result.status, result.reason = "cpu_limit", f"CPU time limit ({limits.cpu_seconds} s)"
    elif returncode == -signal.SIGXFSZ or "File too large" in collection_error + str(
        list(result.errors.values())
    ):
        result.status = "output_limit"
        result.reason = f"output or file size limit ({limits.file_size_kb} KiB)"
    elif memory:
        result.status, result.reason = "memory_limit", f"memory limit ({limits.memory_mb} MiB)"
    elif collection_error:
        result.status, result.reason = "collection_error", collection_error
    elif not done:
        result.status = "crashed"
        result.reason = (
            f"exited with status {returncode} before the tests finished"
            if returncode >= 0
            else f"killed by signal {-returncode} before the tests finished"
        )
    if result.blocked and not result.reason:
        result.reason = f"refused: {', '.join(sorted(set(result.blocked)))}"
    elif result.blocked:
        result.reason += f"; refused: {', '.join(sorted(set(result.blocked)))}"
    if forged:
        result.reason = (result.reason + "; " if result.reason else "") + "stray writes to the "
        "result channel"
    if not result.reason and result.tests and not all(result.tests.values()):
        failed = [name for name, ok in result.tests.items() if not ok]
        result.reason = f"{len(failed)} of {len(result.tests)} tests failed: " + "; ".join(
            f"{name}: {result.errors.get(name, 'failed')}" for name in failed[:3]
        )
    if not result.reason and not result.tests and result.status == "ok":
        result.status, result.reason = "collection_error", "no test_* functions found"
    return result


def run_many(jobs: Sequence[dict], workers: int | None = None) -> list[SandboxResult]:
    """Run several :func:`run_tests` jobs (keyword dicts) in parallel, results in order."""
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    if len(jobs) <= 1:
        return [run_tests(**job) for job in jobs]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: run_tests(**job), jobs))
