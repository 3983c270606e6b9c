"""The sandbox's child process: lock itself down, then run one test file.

Run as ``python -I -B child.py`` by :mod:`ripeness.sandbox.runner`; it imports nothing from
Ripeness so that no project code is exposed to the model's. Order matters:

1. read the run's settings from stdin (then stdin is closed);
2. as root: move into a fresh network namespace (no interfaces but a down loopback);
3. set resource limits (CPU seconds, address space, processes, open files, file size, no core);
4. as root: drop to the unprivileged ``nobody`` user;
5. install an audit hook that refuses network, process creation, native code loading, the
   modules that give access to them, and writes or deletions outside the working folder,
   each refusal reported at once;
6. read the test file into memory (so code that rewrites it on disk cannot change what runs),
   execute it (which imports the solution), and call every ``test_*`` function, reporting each
   result on the result pipe as soon as it is known.

Results are lines ``<nonce> <json>``; the nonce arrives on stdin, so stray writes by the
model's code to that pipe are told apart from the runner's. Code that digs the nonce out of
this process's memory could still forge a line: the sandbox's promise is to keep the host safe
and to report honestly on ordinary code, and gold verification never trusts a test file that
the completion supplied.
"""

import json
import os
import resource
import sys
import traceback
import types

CLONE_NEWNET = 0x40000000
NOBODY = 65534

BLOCKED_PREFIXES = (
    "socket.",
    "subprocess.",
    "os.fork",
    "os.forkpty",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.system",
    "os.kill",
    "os.killpg",
    "pty.",
    "ctypes.",
    "resource.setrlimit",
    "resource.prlimit",
    "signal.pthread_kill",
    "winreg.",
)
BLOCKED_MODULES = frozenset(
    {
        "socket",
        "_socket",
        "ssl",
        "_ssl",
        "select",
        "selectors",
        "asyncio",
        "http",
        "urllib",
        "subprocess",
        "_posixsubprocess",
        "multiprocessing",
        "_multiprocessing",
        "concurrent",
        "pty",
        "ctypes",
        "_ctypes",
        "signal",
        "mmap",
        "fcntl",
        "resource",
    }
)
# Modules loaded before the drop to ``nobody``, who may be unable to read the interpreter's own
# files (a Python installed under /root, as on this project's machines); there, other imports
# fail as "not found". Where ``nobody`` can read them, every unblocked module imports.
PRELOADED = (
    "abc",
    "array",
    "base64",
    "bisect",
    "calendar",
    "collections",
    "contextlib",
    "copy",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "enum",
    "fractions",
    "functools",
    "glob",
    "hashlib",
    "heapq",
    "io",
    "itertools",
    "json",
    "math",
    "numbers",
    "operator",
    "pathlib",
    "pprint",
    "queue",
    "random",
    "re",
    "shutil",
    "statistics",
    "string",
    "struct",
    "tempfile",
    "textwrap",
    "time",
    "typing",
    "unicodedata",
    "unittest",
    "zlib",
)
PATH_EVENTS = {
    "os.remove": 0,
    "os.rmdir": 0,
    "os.rename": (0, 1),
    "os.replace": (0, 1),
    "os.mkdir": 0,
    "os.chmod": 0,
    "os.chown": 0,
    "os.truncate": 0,
    "os.symlink": (0, 1),
    "os.link": (0, 1),
    "os.utime": 0,
    "shutil.rmtree": 0,
    "shutil.move": (0, 1),
    "shutil.copyfile": 1,
    "shutil.copytree": 1,
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def report(channel, nonce, **fields):
    os.write(channel, (nonce + " " + json.dumps(fields) + "\n").encode())


def enter_network_namespace():
    """A new, empty network namespace; only root may do it (else the audit hook still blocks)."""
    if os.geteuid() != 0:
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    ok = libc.unshare(CLONE_NEWNET) == 0
    for name in [m for m in sys.modules if m == "ctypes" or m.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]  # so the model's ``import ctypes`` meets the audit hook
    return ok


def set_limits(limits):
    mib = 1024 * 1024
    pairs = [
        (resource.RLIMIT_CPU, limits["cpu_seconds"]),
        (resource.RLIMIT_AS, limits["memory_mb"] * mib),
        (resource.RLIMIT_NOFILE, limits["open_files"]),
        (resource.RLIMIT_FSIZE, limits["file_size_kb"] * 1024),
        (resource.RLIMIT_CORE, 0),
    ]
    if os.geteuid() == 0:  # the process cap binds only once we are not root
        pairs.append((resource.RLIMIT_NPROC, limits["processes"]))
    for which, value in pairs:
        # the CPU hard limit sits a second above the soft one, so SIGXCPU comes first
        hard = value + 1 if which == resource.RLIMIT_CPU else value
        resource.setrlimit(which, (value, hard))


def world_readable(path):
    """Whether any user can reach ``path``: every folder on the way searchable, itself readable."""
    import stat

    path = os.path.realpath(path)
    parts = path.split(os.sep)
    for i in range(2, len(parts)):
        if not os.stat(os.sep.join(parts[:i]) or os.sep).st_mode & stat.S_IXOTH:
            return False
    return bool(os.stat(path).st_mode & stat.S_IROTH)


def drop_privileges():
    if os.geteuid() != 0:
        return False
    if not world_readable(os.__file__):
        for name in PRELOADED:
            __import__(name)
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    return True


def install_guard(workdir, channel, nonce):
    workdir = os.path.realpath(workdir)

    def inside(path):
        if isinstance(path, int):  # an open descriptor: it was checked when it was opened
            return True
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        real = os.path.realpath(os.path.join(workdir, str(path)))
        return real == workdir or real.startswith(workdir + os.sep)

    def refuse(event, detail):
        report(channel, nonce, blocked=event, detail=str(detail)[:200])
        raise PermissionError(f"sandbox: {event} is not allowed ({str(detail)[:80]})")

    def guard(event, args):
        if event.startswith(BLOCKED_PREFIXES):
            refuse(event, args[:1] if args else "")
        if event == "import" and str(args[0]).partition(".")[0] in BLOCKED_MODULES:
            refuse(f"import {args[0]}", args[0])
        if event == "open":
            path, mode, flags = args
            if isinstance(path, (str, bytes)) and "environ" in os.fsdecode(path):
                refuse("open", path)
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & WRITE_FLAGS
            )
            if writing and not inside(path):
                refuse("open for writing", path)
        elif event in PATH_EVENTS:
            positions = PATH_EVENTS[event]
            for i in positions if isinstance(positions, tuple) else (positions,):
                if i < len(args) and args[i] is not None and not inside(args[i]):
                    refuse(event, args[i])

    sys.addaudithook(guard)


def run_tests(test_file, channel, nonce):
    with open(test_file) as handle:
        source = handle.read()
    module = types.ModuleType(os.path.splitext(test_file)[0])
    module.__file__ = os.path.abspath(test_file)
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, test_file, "exec"), module.__dict__)
    except BaseException as exc:  # a syntax error, a failed import, SystemExit in the solution
        report(channel, nonce, collection_error=_describe(exc))
        return
    tests = [
        (name, value)
        for name, value in list(module.__dict__.items())
        if name.startswith("test") and callable(value)
    ]
    report(channel, nonce, collected=[name for name, _ in tests])
    for name, test in tests:
        try:
            test()
        except BaseException as exc:
            report(channel, nonce, test=name, passed=False, error=_describe(exc))
            if isinstance(exc, (SystemExit, KeyboardInterrupt)):
                return
        else:
            report(channel, nonce, test=name, passed=True)


def _describe(exc):
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {os.path.basename(last[0].filename)}:{last[0].lineno}" if last else ""
    return f"{type(exc).__name__}: {str(exc)[:160]}{where}"


def main():
    settings = json.loads(sys.stdin.read())
    sys.stdin.close()
    os.close(0)
    channel, nonce = settings["channel"], settings["nonce"]
    network = enter_network_namespace()
    set_limits(settings["limits"])
    unprivileged = drop_privileges()
    report(channel, nonce, isolation={"network_namespace": network, "unprivileged": unprivileged})
    workdir = os.getcwd()
    sys.path.insert(0, workdir)
    install_guard(workdir, channel, nonce)
    run_tests(settings["test_file"], channel, nonce)
    report(channel, nonce, done=True)


if __name__ == "__main__":
    main()
