"""Run model-written code and its tests in a locked-down child process.

Layers, each on where it can be (``isolation_layers()`` says which; the first run that lacks
bubblewrap says so once, in one line):

- **bubblewrap** (``bwrap``, Debian package ``bubblewrap``; user namespaces, works without root):
  a root file system of only the read-only system folders and the interpreter, the run's folder
  the one writable place, no network, its own PID namespace (every process the code started
  dies with the run), no host environment, ``/etc`` and home folders absent;
- resource limits: CPU seconds, wall time, address space, processes, open files, file size;
- as root: the unprivileged ``nobody`` user (and a network namespace where bubblewrap is absent);
- an audit hook in the child (``sandbox/child.py``) refusing process creation, native code,
  network, reads and writes outside its folder: one more layer, never the only one that matters.

Two ways to judge: :func:`run_tests` runs a test file (what proxy rewards do; its verdict can be
forged by the code it judges, which is the proxy's documented loophole), and :func:`run_calls`
calls a function on given arguments and compares what came back with the expected values
*here*, in a process that ran no model code: the child never sees an expected value, so gold
cannot be forged by patched ``__eq__``, harness or builtins.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import os
import secrets
import select
import shutil
import signal
import stat
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
CHILD_INSIDE = "/sandbox/child.py"  # where bubblewrap shows it to the sandbox
NOBODY = 65534
RESULT_LIMIT_BYTES = 256 * 1024
LITERAL_LIMIT = 100_000  # characters of one returned value the runner will read back
# RIPENESS_SANDBOX_BWRAP=0 turns bubblewrap off (to test the other layers on their own)
BWRAP_SWITCH = "RIPENESS_SANDBOX_BWRAP"
# RIPENESS_SANDBOX_AUDIT=0 turns the audit hook off, honoured only under bubblewrap (to test
# that the OS layer contains hostile code on its own)
AUDIT_SWITCH = "RIPENESS_SANDBOX_AUDIT"


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
    # what each call returned (run_calls reads these, then clears them)
    answers: dict[int, dict] = field(default_factory=dict, repr=False)
    repeated_answers: set[int] = field(default_factory=set, repr=False)

    @property
    def passed(self) -> bool:
        """Every collected test passed, at least one ran, and nothing went wrong."""
        return self.status == "ok" and bool(self.tests) and all(self.tests.values())

    @property
    def pass_fraction(self) -> float:
        return sum(self.tests.values()) / len(self.tests) if self.tests else 0.0


@functools.cache
def _bwrap_works(bwrap: str, root: bool) -> bool:
    try:
        probe = subprocess.run(
            [bwrap, *_namespaces(root), "--ro-bind", "/", "/", "--", "/bin/true"],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _namespaces(root: bool) -> list[str]:
    # as root, no user namespace: the child must stay real root long enough to become nobody
    if root:
        return [
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
        ]
    return ["--unshare-all"]


def bubblewrap() -> str | None:
    """The ``bwrap`` to run under, or None where it is missing, refused, or switched off."""
    if os.environ.get(BWRAP_SWITCH, "1") == "0":
        return None
    found = shutil.which("bwrap")
    return found if found and _bwrap_works(found, os.geteuid() == 0) else None


def isolation_layers() -> dict[str, bool]:
    """Which layers a run gets on this machine, as this user (in the order they are named)."""
    root = os.geteuid() == 0
    wrapped = bubblewrap() is not None
    return {
        "bubblewrap": wrapped,  # read-only root, only its folder writable, own PID namespace
        "resource limits": True,
        "nobody user": root,  # as root the child drops to nobody; otherwise it is the user
        "network namespace": root and not wrapped,  # by hand when bubblewrap is not there
        "audit hook": not wrapped or os.environ.get(AUDIT_SWITCH, "1") != "0",
    }


def describe_isolation() -> str:
    """One line: the layers on, and what is missing."""
    layers = isolation_layers()
    line = "sandbox: " + " + ".join(name for name, on in layers.items() if on)
    if layers["bubblewrap"]:
        return line
    why = (
        f"{BWRAP_SWITCH}=0"
        if os.environ.get(BWRAP_SWITCH) == "0"
        else "bwrap not found or not permitted (apt-get install bubblewrap)"
    )
    line += f"; no bubblewrap ({why})"
    if not layers["nobody user"]:
        line += ": reads of your files are refused by the audit hook alone"
    return line


@functools.cache
def _warn_once(line: str) -> None:
    print(f"warning: {line}", file=sys.stderr)


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


def _mounts(workdir: Path) -> list[str]:
    """bubblewrap's view: system folders and the interpreter read-only, the run's folder
    writable, nothing else of the host (no /etc, no home folders, no project files)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    prefixes = {os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix)}
    for prefix in sorted(prefixes):
        if not prefix.startswith("/usr/"):
            # folders on the way open to all (bwrap would make them 0700): nobody must reach it
            for parent in reversed(Path(prefix).parents[:-1]):
                args += ["--perms", "0755", "--dir", str(parent)]
            args += ["--ro-bind", prefix, prefix]
    args += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    args += ["--bind", str(workdir), str(workdir), "--ro-bind", str(CHILD), CHILD_INSIDE]
    return args


def _command(workdir: Path, bwrap: str | None) -> list[str]:
    python = os.path.realpath(sys.executable)
    if bwrap is None:
        return [python, "-I", "-B", str(CHILD)]
    root = os.geteuid() == 0
    return [
        bwrap,
        *_namespaces(root),
        "--die-with-parent",
        "--new-session",
        *_mounts(workdir),
        "--chdir",
        str(workdir),
        "--",
        python,
        "-I",
        "-B",
        CHILD_INSIDE,
    ]


def _wait(process: subprocess.Popen, seconds: float) -> bool:
    """Wait for the process to end, up to ``seconds``; False on timeout.

    ``Popen.wait(timeout)`` polls with sleeps of up to 50 ms, a third of a sandbox run; a
    pidfd wakes the moment the process ends.
    """
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # not Linux 5.3+: the polling wait
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        ready, _, _ = select.select([pidfd], [], [], seconds)
    finally:
        os.close(pidfd)
    return bool(ready)


def _processes_of(uid: int) -> int:
    """How many processes ``uid`` runs now: the process limit counts them all."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += 1
    return count


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

    The verdict comes from the process that ran the code, so code can forge it: use this for
    proxies, :func:`run_calls` for gold. ``shipped_tests`` is the test file as the task wrote
    it: if the run's test file differs from it, before or after running,
    ``test_file_changed`` is set.
    """
    if test_file not in files:
        raise ValueError(f"the test file {test_file!r} is not among the files to run")
    result, after = _execute(files, {"mode": "tests", "test_file": test_file}, limits, test_file)
    shipped = _digest(shipped_tests) if shipped_tests is not None else _digest(files[test_file])
    result.test_file_changed = shipped != _digest(files[test_file]) or _digest(after) != _digest(
        files[test_file]
    )
    _name_failures(result, "tests")
    if not result.reason and not result.tests and result.status == "ok":
        result.status, result.reason = "collection_error", "no test_* functions found"
    return result


def run_calls(
    files: Mapping[str, str],
    function: str,
    cases: Sequence[tuple[str, str]],
    module: str = "solution.py",
    limits: Limits = Limits(),
) -> SandboxResult:
    """Call ``function`` from ``module`` on each case's arguments; judge the results here.

    ``cases`` are ``(arguments, expected)`` pairs, both Python literals (``repr`` of a tuple
    of arguments and of the expected value). Only the arguments go to the child; it sends
    back each returned value as a literal, which is read with ``ast.literal_eval`` (no code
    runs) and must equal the expected value with the same types all the way down. A value
    that is not plain data, a call that raised, a missing or repeated answer: that case fails.
    """
    if module not in files:
        raise ValueError(f"the module {module!r} is not among the files to run")
    settings = {"mode": "calls", "module": module, "function": function}
    settings["calls"] = [arguments for arguments, _ in cases]
    result, _ = _execute(files, settings, limits, None)
    names = [f"{function}{_shorten(arguments)}" for arguments, _ in cases]
    answers, repeated = result.answers, result.repeated_answers
    result.tests, result.errors = {}, {}
    for i, ((_, expected), name) in enumerate(zip(cases, names, strict=True)):
        key = f"case {i + 1}: {name}"
        if i in repeated:
            ok, why = False, "answered more than once (forged result lines)"
        elif i not in answers:
            ok, why = False, "no answer"
        else:
            ok, why = _judge(answers[i], ast.literal_eval(expected))
        result.tests[key] = ok
        if why:
            result.errors[key] = why
    result.answers, result.repeated_answers = {}, set()
    _name_failures(result, "cases")
    return result


def _shorten(arguments: str) -> str:
    text = arguments if not arguments.endswith(",)") else arguments[:-2] + ")"
    return text if len(text) <= 60 else text[:57] + "...)"


def _judge(answer: dict, expected) -> tuple[bool, str]:
    """Whether one call's answer is the expected value, and why not."""
    if "error" in answer:
        return False, str(answer["error"])[:200]
    text = answer.get("value")
    if not isinstance(text, str) or len(text) > LITERAL_LIMIT:
        return False, "the returned value could not be read back"
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, "the returned value is not plain data"
    if not same(value, expected):
        return False, f"returned {text[:80]}, expected {expected!r}"[:200]
    return True, ""


def same(a, b) -> bool:
    """Equal with the same types all the way down (``True`` is not ``1``, ``1.0`` is not ``1``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def _execute(
    files: Mapping[str, str], settings: dict, limits: Limits, read_back: str | None
) -> tuple[SandboxResult, str]:
    """Run the child on ``files`` in a fresh folder; also return file ``read_back`` after it."""
    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="ripeness-sandbox-"))
    after = ""
    try:
        _prepare(workdir, files)
        result = _run(workdir, settings, limits)
        if read_back is not None:
            after = _read_regular(workdir / read_back)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result.seconds = time.perf_counter() - start
    return result, after


def _read_regular(path: Path) -> str:
    """A file the sandboxed code may have replaced: never follow a link it planted."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        return handle.read(RESULT_LIMIT_BYTES).decode(errors="replace")


def _run(workdir: Path, settings: dict, limits: Limits) -> SandboxResult:
    nonce = secrets.token_hex(16)
    bwrap = bubblewrap()
    if bwrap is None:
        _warn_once(describe_isolation())
    read_end, write_end = os.pipe()
    as_uid = NOBODY if os.geteuid() == 0 else os.getuid()
    # outside the run's folder, so the code cannot swap it for a link to a file of ours
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            _command(workdir, bwrap),
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
        chunks: list[bytes] = []  # ends with b"" when the cap cut the channel short
        reader = threading.Thread(target=_read_capped, args=(read_end, chunks), daemon=True)
        reader.start()
        child_limits = {**asdict(limits), "user_processes": _processes_of(as_uid)}
        message = {
            **settings,
            "nonce": nonce,
            "channel": write_end,
            "limits": child_limits,
            "bubblewrap": bwrap is not None,
            "audit_hook": bwrap is None or os.environ.get(AUDIT_SWITCH, "1") != "0",
        }
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(json.dumps(message).encode())
            process.stdin.close()
        timed_out = not _wait(process, limits.wall_seconds)
        _kill_group(process)  # also takes any stragglers the child managed to leave
        process.wait()
        returncode = process.returncode
        if bwrap is not None and returncode > 128:  # bwrap passes a child's signal as 128 + n
            returncode = -(returncode - 128)
        reader.join(timeout=5)
        output.seek(0, os.SEEK_END)
        output.seek(max(0, output.tell() - 4000))
        output_text = output.read().decode(errors="replace")
    result = _interpret(b"".join(chunks), nonce, returncode, timed_out, output_text, limits)
    if chunks and not chunks[-1] and result.status in ("ok", "crashed"):
        result.status = "output_limit"
        result.reason = f"results over {RESULT_LIMIT_BYTES // 1024} KiB (the rest was dropped)"
    return result


def _read_capped(fd: int, chunks: list[bytes]) -> None:
    """Read the result pipe until it closes, keeping at most ``RESULT_LIMIT_BYTES``."""
    kept = 0
    with os.fdopen(fd, "rb") as pipe:
        for chunk in iter(lambda: pipe.read(65536), b""):
            if kept < RESULT_LIMIT_BYTES:
                chunks.append(chunk)
                kept += len(chunk)
            elif chunks[-1]:
                chunks.append(b"")  # the mark that the rest was dropped


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
        try:
            record = json.loads(body)
        except ValueError:  # cut short by the size cap
            continue
        if not isinstance(record, dict):
            continue
        if "isolation" in record:
            result.isolation = record["isolation"]
        elif "blocked" in record:
            result.blocked.append(record["blocked"])
        elif "collection_error" in record:
            collection_error = record["collection_error"]
        elif "collected" in record:
            collected = record["collected"]
            result.tests = dict.fromkeys(collected, False)
        elif "call" in record and isinstance(record["call"], int):
            if record["call"] in result.answers:
                result.repeated_answers.add(record["call"])
            result.answers[record["call"]] = record
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
    return result


def _name_failures(result: SandboxResult, noun: str) -> None:
    """Say which tests (or cases) failed and why, when nothing else went wrong."""
    if not result.reason and result.tests and not all(result.tests.values()):
        failed = [name for name, ok in result.tests.items() if not ok]
        result.reason = f"{len(failed)} of {len(result.tests)} {noun} failed: " + "; ".join(
            f"{name}: {result.errors.get(name, 'failed')}" for name in failed[:3]
        )


def run_many(jobs: Sequence[dict], workers: int | None = None) -> list[SandboxResult]:
    """Run several sandbox jobs (keyword dicts) in parallel, results in order."""
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    if len(jobs) <= 1:
        return [_run_job(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_run_job, jobs))


def _run_job(job: dict) -> SandboxResult:
    """A :func:`run_calls` job when it names a ``function``, else a :func:`run_tests` one."""
    return run_calls(**job) if "function" in job else run_tests(**job)
