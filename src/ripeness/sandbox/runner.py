"""Run model-written code and its tests in a locked-down child process.

Layers, each on where it can be (``isolation_layers()`` says which; the first run that lacks
bubblewrap says so once, in one line):

- **bubblewrap** (``bwrap``, Debian package ``bubblewrap``; user namespaces, works without root):
  a root file system of only the read-only system folders and the interpreter, the run's folder
  the one writable place, no network, its own PID namespace (every process the code started
  dies with the run), no host environment, ``/etc`` and home folders absent, and every folder
  of installed packages inside those trees (site- and dist-packages, the folder Ripeness and
  each imported task package came from: :func:`hidden_paths`) covered by an empty one;
- resource limits: CPU seconds, wall time, address space, processes, open files, file size;
- as root: the unprivileged ``nobody`` user (and a network namespace where bubblewrap is absent);
- an audit hook in the child (``sandbox/child.py``) refusing process creation, native code,
  network, reads outside the standard library and its folder (and of every hidden path, even
  one inside the standard library's folder, where pyenv keeps site-packages), writes outside
  its folder: one more layer, never the only one that matters.

The child starts as ``python -I -S``: no site module, so no site-packages on ``sys.path``, no
``.pth`` file run, no user site. It sees the standard library and nothing installed, however
Ripeness and a task's package are installed (virtualenv, the system interpreter's
site-packages, Debian's dist-packages, pyenv, conda, editable): no reference solution, hidden
test or verifier file can be read from the sandbox.

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
import glob
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
import sysconfig
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from enum import StrEnum
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


class SandboxStatus(StrEnum):
    """How a run ended; a member equals its string, which is what records keep."""

    OK = "ok"  # the child finished (its tests may still have failed)
    COLLECTION_ERROR = "collection_error"  # the code or test file did not load, or held no test
    TIMEOUT = "timeout"  # past the wall-time limit
    CPU_LIMIT = "cpu_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"  # output, a file or the results over their size limit
    CRASHED = "crashed"  # the child exited or was killed before it finished


class JobKind(StrEnum):
    """What a :func:`run_many` job runs; the child's ``mode`` takes the same strings."""

    TESTS = "tests"  # :func:`run_tests`: a test file's own verdict (forgeable: for proxies)
    CALLS = "calls"  # :func:`run_calls`: calls judged here (for gold)


@dataclass
class SandboxResult:
    tests: dict[str, bool] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    status: SandboxStatus = SandboxStatus.OK
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
        return self.status == SandboxStatus.OK and bool(self.tests) and all(self.tests.values())

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


PACKAGE_FOLDERS = ("site-packages", "dist-packages")
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")
TASK_ENTRY_POINTS = "ripeness.tasks"  # the group users' task families are registered in


def _real(path: str) -> str:
    return os.path.realpath(os.path.abspath(path))


def _inside(path: str, roots: Sequence[str]) -> bool:
    """Whether ``path`` is one of ``roots`` or lies below one (real, absolute paths)."""
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _holds_any(folder: str, paths: Sequence[str]) -> bool:
    """Whether ``folder`` is one of ``paths`` or holds one of them."""
    return any(_inside(path, (folder,)) for path in paths)


def _in_packages(path: str) -> bool:
    return any(part in PACKAGE_FOLDERS for part in path.split("/"))


@functools.cache
def _interpreter_paths() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the standard library's folders, the paths that must stay visible to the child).

    Never hidden: the standard library, the interpreter, its shared library's folder and the
    system's library folders, nor any folder that holds one of them."""
    base = {"base": sys.base_prefix, "installed_base": sys.base_prefix}
    base |= {"platbase": sys.base_exec_prefix, "installed_platbase": sys.base_exec_prefix}
    paths = sysconfig.get_paths(vars=base)  # the base interpreter's, not a virtualenv's
    stdlib = {paths["stdlib"], paths["platstdlib"]}
    stdlib |= {os.path.join(folder, "lib-dynload") for folder in list(stdlib)}
    version = f"{sys.version_info.major}{sys.version_info.minor}"
    for prefix in (sys.base_prefix, sys.base_exec_prefix):
        stdlib.add(os.path.join(prefix, sys.platlibdir, f"python{version}.zip"))
    stdlib = {_real(folder) for folder in stdlib}
    keep = set(stdlib) | {_real(sys.executable)}
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    for folder in (
        sysconfig.get_config_var("LIBDIR"),
        "/lib",
        "/lib64",
        "/usr/lib",
        "/usr/lib64",
        *([f"/lib/{multiarch}", f"/usr/lib/{multiarch}"] if multiarch else []),
    ):
        if folder:
            keep.add(_real(folder))
    return tuple(sorted(stdlib)), tuple(sorted(keep))


def _prefixes() -> list[str]:
    return sorted(
        {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix, "/usr", "/usr/local"}
    )


@functools.cache
def _installed_folders() -> tuple[str, ...]:
    """Where this interpreter keeps installed packages (real paths), found from the running
    interpreter: its site folders and user site, every install scheme's purelib and platlib,
    every Python's site- and dist-packages under /usr, /usr/local and its prefixes, conda's
    package cache and environments, pip's source checkouts (``PREFIX/src``), the folder that
    holds the ``ripeness`` package (with its project folder, for an editable install), every
    editable install's source tree and every ``ripeness.tasks`` entry point's package."""
    import site

    found: set[str] = set()
    with contextlib.suppress(Exception):
        found.update(site.getsitepackages())
    with contextlib.suppress(Exception):
        found.update(site.getsitepackages(_prefixes()))
    with contextlib.suppress(Exception):
        found.add(site.getusersitepackages())
    for scheme in sysconfig.get_scheme_names():
        for variables in [None, *({"base": p, "platbase": p} for p in _prefixes())]:
            with contextlib.suppress(Exception):
                paths = sysconfig.get_paths(scheme, vars=variables)
                found.update(paths[key] for key in ("purelib", "platlib") if key in paths)
    for prefix in _prefixes():
        for pattern in (
            "lib*/python*/site-packages",
            "lib*/python*/dist-packages",
            "local/lib*/python*/site-packages",
            "local/lib*/python*/dist-packages",
            "pkgs",
            "envs",
            "src",
        ):
            found.update(glob.glob(os.path.join(prefix, pattern)))
    found.update(_holders(_real(str(Path(__file__).parents[1]))))  # the ripeness package
    found.update(_installed_elsewhere())
    return tuple(sorted({_real(p) for p in found if isinstance(p, str) and p.startswith("/")}))


def _installed_elsewhere() -> set[str]:
    """Installed code outside the site folders, imported or not: the source trees of editable
    installs (pip's ``direct_url.json``) and the packages behind the task families registered
    in the ``ripeness.tasks`` entry point group (found without importing them)."""
    import importlib.util
    import urllib.parse
    from importlib import metadata

    found: set[str] = set()
    with contextlib.suppress(Exception):
        for dist in metadata.distributions():
            with contextlib.suppress(Exception):
                origin = json.loads(dist.read_text("direct_url.json") or "{}")
                url = urllib.parse.urlparse(origin.get("url", ""))
                if origin.get("dir_info", {}).get("editable") and url.scheme == "file":
                    found.add(urllib.parse.unquote(url.path))
            for point in dist.entry_points:
                if point.group != TASK_ENTRY_POINTS:
                    continue
                with contextlib.suppress(Exception):
                    top = point.value.partition(":")[0].strip().partition(".")[0]
                    spec = importlib.util.find_spec(top)  # a top-level name: nothing runs
                    places = list(spec.submodule_search_locations or []) or [spec.origin]
                    found.update(_to_hide([p for p in places if isinstance(p, str) and p]))
    return found


def _holders(place: str) -> set[str]:
    """The folder that holds a package folder or module file, and the project folder around
    it when that folder is a project's ``src`` (an editable install's source tree)."""
    holder = os.path.dirname(place)
    found = {holder}
    project = os.path.dirname(holder)
    if os.path.basename(holder) == "src" and any(
        os.path.exists(os.path.join(project, name)) for name in PROJECT_MARKERS
    ):
        found.add(project)
    return found


_MODULE_PLACES: dict[tuple[str, str], tuple[str, ...]] = {}


def _module_places(name: str, module: object) -> tuple[str, ...]:
    """What to hide of an imported top-level module that is not the standard library's (a
    task's verifier, Ripeness, the caller's own code): the folder it came from, or the module
    itself where that folder must stay visible."""
    try:
        path = getattr(module, "__path__", None)
        places = list(path) if path is not None else [module.__file__]
    except Exception:  # noqa: BLE001 - no file (built in, a namespace stand-in), an odd __path__
        return ()
    places = [p for p in places if isinstance(p, str) and p]
    key = (name, "\0".join(places))
    if key not in _MODULE_PLACES:
        _MODULE_PLACES[key] = tuple(sorted(_to_hide(places)))
    return _MODULE_PLACES[key]


def _to_hide(places: Sequence[str]) -> set[str]:
    """For a module's file or package folders: the folders that hold them (the module itself
    where that folder must stay visible); nothing for the standard library's."""
    stdlib, keep = _interpreter_paths()
    found: set[str] = set()
    for place in places:
        real = _real(place)
        if _inside(real, stdlib) and not _in_packages(real):
            continue  # a standard module
        for holder in _holders(real):
            found.add(real if _holds_any(holder, keep) else holder)
    return found


def hidden_paths() -> list[str]:
    """What sandboxed code must not see, as real paths: every folder of installed packages,
    every ``sys.path`` entry outside the standard library, the folder each imported top-level
    module outside the standard library came from (so a task's verifier and hidden tests are
    hidden wherever its package lives), less anything that holds the standard library, the
    interpreter or the system's libraries.

    Under bubblewrap each of these inside a bound tree is covered by an empty one; the audit
    hook refuses reading or listing any of them, even inside the standard library's folder."""
    stdlib, keep = _interpreter_paths()
    candidates = set(_installed_folders())
    for entry in list(sys.path):
        if isinstance(entry, str):
            candidates.add(_real(entry or os.getcwd()))
    for name, module in list(sys.modules.items()):
        if "." not in name and module is not None:
            candidates.update(_module_places(name, module))
    return sorted(
        path
        for path in candidates
        if not _holds_any(path, keep) and not (_inside(path, stdlib) and not _in_packages(path))
    )


def _readable_extras() -> list[str]:
    """What the child may read besides the standard library: the time zone database."""
    zones = sysconfig.get_config_var("TZPATH") or ""
    return sorted({_real(p) for p in zones.split(os.pathsep) if p.startswith("/")})


def _masks(hidden: Sequence[str], bound: Sequence[str]) -> list[str]:
    """bubblewrap arguments covering each hidden path inside a bound tree: an empty tmpfs over
    a folder, /dev/null over a file."""
    args: list[str] = []
    covered: list[str] = []
    for path in sorted(hidden):  # a folder before what it holds
        if not _inside(path, bound) or _inside(path, covered) or os.path.islink(path):
            continue
        if os.path.isdir(path):
            args += ["--tmpfs", path]
        elif os.path.isfile(path):
            args += ["--ro-bind", "/dev/null", path]
        else:
            continue
        covered.append(path)
    return args


def _mounts(workdir: Path, hidden: Sequence[str] = ()) -> list[str]:
    """bubblewrap's view: system folders and the interpreter read-only, the run's folder
    writable, nothing else of the host (no /etc, no home folders, no project files), and every
    hidden path inside those trees (installed packages, task packages) covered up."""
    args = ["--ro-bind", "/usr", "/usr"]
    bound = ["/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
            bound.append(top)
    # before the interpreter's prefix, which may lie under /tmp (a throwaway environment)
    args += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    prefixes = {os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix)}
    for prefix in sorted(prefixes):
        if not prefix.startswith("/usr/"):
            # folders on the way open to all (bwrap would make them 0700): nobody must reach it
            for parent in reversed(Path(prefix).parents[:-1]):
                args += ["--perms", "0755", "--dir", str(parent)]
            args += ["--ro-bind", prefix, prefix]
            bound.append(prefix)
    args += _masks(hidden, [_real(p) for p in bound])
    args += ["--bind", str(workdir), str(workdir), "--ro-bind", str(CHILD), CHILD_INSIDE]
    return args


def _command(workdir: Path, bwrap: str | None, hidden: Sequence[str] = ()) -> list[str]:
    # -I: no environment variables, no user site; -S: no site module, so no site-packages on
    # sys.path and no .pth file run; -B: no bytecode written
    python = os.path.realpath(sys.executable)
    if bwrap is None:
        return [python, "-I", "-S", "-B", str(CHILD)]
    root = os.geteuid() == 0
    return [
        bwrap,
        *_namespaces(root),
        "--die-with-parent",
        "--new-session",
        *_mounts(workdir, hidden),
        "--chdir",
        str(workdir),
        "--",
        python,
        "-I",
        "-S",
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
    settings = {"mode": JobKind.TESTS, "test_file": test_file}
    result, after = _execute(files, settings, limits, test_file)
    shipped = _digest(shipped_tests) if shipped_tests is not None else _digest(files[test_file])
    result.test_file_changed = shipped != _digest(files[test_file]) or _digest(after) != _digest(
        files[test_file]
    )
    _name_failures(result, "tests")
    if not result.reason and not result.tests and result.status == SandboxStatus.OK:
        result.status = SandboxStatus.COLLECTION_ERROR
        result.reason = "no test_* functions found"
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
    settings = {"mode": JobKind.CALLS, "module": module, "function": function}
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
    hidden = hidden_paths()
    # outside the run's folder, so the code cannot swap it for a link to a file of ours
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            _command(workdir, bwrap, hidden),
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
            "hidden": hidden,
            "readable": _readable_extras(),
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
    if chunks and not chunks[-1] and result.status in (SandboxStatus.OK, SandboxStatus.CRASHED):
        result.status = SandboxStatus.OUTPUT_LIMIT
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
        result.status = SandboxStatus.TIMEOUT
        result.reason = f"wall time limit ({limits.wall_seconds:g} s)"
    elif returncode in (-signal.SIGXCPU, -signal.SIGKILL) and not done:
        result.status = SandboxStatus.CPU_LIMIT
        result.reason = f"CPU time limit ({limits.cpu_seconds} s)"
    elif returncode == -signal.SIGXFSZ or "File too large" in collection_error + str(
        list(result.errors.values())
    ):
        result.status = SandboxStatus.OUTPUT_LIMIT
        result.reason = f"output or file size limit ({limits.file_size_kb} KiB)"
    elif memory:
        result.status = SandboxStatus.MEMORY_LIMIT
        result.reason = f"memory limit ({limits.memory_mb} MiB)"
    elif collection_error:
        result.status, result.reason = SandboxStatus.COLLECTION_ERROR, collection_error
    elif not done:
        result.status = SandboxStatus.CRASHED
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


def run_many(jobs: Sequence[Mapping], workers: int | None = None) -> list[SandboxResult]:
    """Run several sandbox jobs in parallel, results in order.

    A job is the keyword arguments of :func:`run_tests` or :func:`run_calls` plus ``kind``
    (a :class:`JobKind`); see :func:`job_kind` for a job that does not say its kind."""
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    if len(jobs) <= 1:
        return [_run_job(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_run_job, jobs))


def job_kind(job: Mapping) -> JobKind:
    """The job's ``kind``; a job without one is a calls job when it names a ``function``
    (what jobs meant before they said their kind), else a tests job."""
    if "kind" in job:
        return JobKind(job["kind"])
    return JobKind.CALLS if "function" in job else JobKind.TESTS


def _run_job(job: Mapping) -> SandboxResult:
    arguments = {name: value for name, value in job.items() if name != "kind"}
    run = run_calls if job_kind(job) == JobKind.CALLS else run_tests
    return run(**arguments)
