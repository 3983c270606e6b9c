"""The sandbox's child process: lock itself down, then run model-written code.

Run as ``python -I -S -B child.py`` by :mod:`ripeness.sandbox.runner`, inside bubblewrap where
it can be used (read-only system folders, only the work folder writable, no network, its own PID
namespace, folders of installed packages covered by empty ones). ``-S``: no site module, so
``sys.path`` holds the standard library alone and no ``.pth`` file runs. It imports nothing from
Ripeness so that no project code is exposed to the model's. Order matters:

1. read the run's settings from stdin (then stdin is closed);
2. as root without bubblewrap: move into a fresh network namespace;
3. set resource limits (CPU seconds, address space, processes, open files, file size, no core);
4. as root: drop to the unprivileged ``nobody`` user;
5. install an audit hook that refuses network, process creation, native code, the modules that
   give access to them, reads outside the work folder and the standard library, reads and
   listings of the paths the runner hides (installed packages, wherever they sit, even inside
   the standard library's folder as with pyenv), and writes, deletions, folder changes and
   ``dir_fd`` tricks outside the work folder. Its tables
   and the functions it calls are bound into the hook itself (defaults that cannot be replaced
   without an audit event it refuses), not looked up where the model's code can change them;
6. either run a test file's ``test_*`` functions (``mode: tests``, what proxy rewards use), or
   call one function on given arguments and send back what each call returned as a literal
   (``mode: calls``, what gold uses). In ``calls`` mode this process never sees an expected
   value: the runner compares outside, so no patched ``__eq__``, harness or builtin can forge
   a pass here.

Results are lines ``<nonce> <json>``; the nonce arrives on stdin, so stray writes to that pipe
are told apart from the runner's.
"""

import ast
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
    "os.setuid",
    "os.setgid",
    "os.setns",
    "os.unshare",
    "pty.",
    "ctypes.",
    "resource.setrlimit",
    "resource.prlimit",
    "signal.pthread_kill",
    "sys.addaudithook",
    "sys.setprofile",
    "sys.settrace",
    "cpython.PyInterpreterState",
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
        "_signal",
        "mmap",
        "fcntl",
        "resource",
        "gc",
        "_testcapi",
        "_xxsubinterpreters",
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
# event -> positions of path arguments that must lie inside the work folder
PATH_EVENTS = {
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.rename": (0, 1),
    "os.replace": (0, 1),
    "os.mkdir": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.truncate": (0,),
    "os.symlink": (0, 1),
    "os.link": (0, 1),
    "os.utime": (0,),
    "os.chdir": (0,),
    "shutil.rmtree": (0,),
    "shutil.move": (0, 1),
    "shutil.copyfile": (0, 1),
    "shutil.copytree": (0, 1),
}
# event -> positions of ``dir_fd`` arguments (a folder descriptor would bypass the path check)
DIR_FD_EVENTS = {
    "os.remove": (1,),
    "os.rmdir": (1,),
    "os.rename": (2, 3),
    "os.replace": (2, 3),
    "os.mkdir": (2,),
    "os.chmod": (2,),
    "os.chown": (3,),
    "os.symlink": (2,),
    "os.link": (2, 3),
    "os.utime": (3,),
}
PATH_EVENT_ITEMS = tuple(PATH_EVENTS.items())  # immutable, for the hook to hold
DIR_FD_EVENT_ITEMS = tuple(DIR_FD_EVENTS.items())
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
READABLE_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
# the functions this process relies on after the model's code has run, bound before it runs
_write, _exit = os.write, os._exit
_stdout, _stderr = sys.stdout, sys.stderr


def report(channel, nonce, **fields):
    _write(channel, (nonce + " " + json.dumps(fields) + "\n").encode())


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
    # the process cap counts every process of the user; the runner says how many it has already
    pairs.append((resource.RLIMIT_NPROC, limits["processes"] + limits.get("user_processes", 0)))
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


def resolve(path, cwd, _lstat=os.lstat, _readlink=os.readlink):
    """The real absolute path of ``path`` (a str), following links, with only C functions.

    ``os.path.realpath`` is Python code whose module globals the model's code could replace;
    the guard must not depend on anything it can reach. None after too many links.
    """
    if not path.startswith("/"):
        path = cwd + "/" + path
    pending = [p for p in path.split("/") if p][::-1]
    done, hops = [], 0
    while pending:
        part = pending.pop()
        if part == ".":
            continue
        if part == "..":
            if done:
                done.pop()
            continue
        candidate = "/" + "/".join([*done, part])
        try:
            mode = _lstat(candidate).st_mode
        except OSError:  # not there (yet): taken as written
            done.append(part)
            continue
        if mode & 0o170000 == 0o120000:  # a symbolic link
            hops += 1
            if hops > 40:
                return None
            target = _readlink(candidate)
            if target.startswith("/"):
                done = []
            pending.extend([p for p in target.split("/") if p][::-1])
        else:
            done.append(part)
    return "/" + "/".join(done)


def install_guard(workdir, readable_roots, channel, nonce, hidden=(), own_file=None):
    """Refuse what the sandbox forbids, and say so on the result channel as it happens.

    ``hidden``: paths never to be read or listed, even inside a readable root (site-packages
    inside the standard library's folder); ``own_file`` (this file) is readable even there.

    Everything the hook uses is bound into it as a default argument: the model's code cannot
    replace a default without an ``object.__setattr__`` event, which the hook refuses.
    """
    import pathlib

    workdir = os.path.realpath(workdir)
    roots = tuple(os.path.realpath(r) for r in readable_roots) + (workdir,)
    hidden = tuple(os.path.realpath(h) for h in hidden)
    own_file = os.path.realpath(own_file) if own_file else None

    def guard(
        event,
        args,
        _prefixes=BLOCKED_PREFIXES,
        _modules=BLOCKED_MODULES,
        _paths=PATH_EVENT_ITEMS,
        _dir_fds=DIR_FD_EVENT_ITEMS,
        _devices=READABLE_DEVICES,
        _flags=WRITE_FLAGS,
        _directory=os.O_DIRECTORY,
        _workdir=workdir,
        _roots=roots,
        _hidden=hidden,
        _own=own_file,
        _listings=("os.listdir", "os.scandir"),
        _resolve=resolve,
        _getcwd=os.getcwd,
        _stat=os.stat,
        _report=report,
        _channel=channel,
        _nonce=nonce,
        _str=str,
        _int=int,
        _bytes=bytes,
        _type=type,
        _path_types=(str, bytes, pathlib.PosixPath),
        _isinstance=isinstance,
        _any=any,
        _len=len,
        _error=PermissionError,
        _function=types.FunctionType,
    ):
        def refuse(what, detail):
            text = detail if _type(detail) is _str else _type(detail).__name__
            _report(_channel, _nonce, blocked=what, detail=text[:200])
            raise _error(f"sandbox: {what} is not allowed ({text[:80]})")

        def real(path):
            """The resolved path, or None for anything but a plain path (a path-like object
            whose ``__fspath__`` may answer differently the second time)."""
            if _type(path) not in _path_types:
                return None
            if _type(path) is _bytes:
                path = path.decode("utf-8", "surrogateescape")
            elif _type(path) is not _str:
                path = _str(path)
            return _resolve(path, _getcwd())

        def under(path, roots):
            return path is not None and _any(path == r or path.startswith(r + "/") for r in roots)

        def is_folder(path):
            try:
                return _stat(path).st_mode & 0o170000 == 0o040000
            except OSError:
                return False

        if event.startswith(_prefixes):
            refuse(event, args[0] if args and _type(args[0]) is _str else "")
        if event == "import" and _str(args[0]).partition(".")[0] in _modules:
            refuse(f"import {args[0]}", _str(args[0]))
        if (
            event == "object.__setattr__"
            and _isinstance(args[0], _function)
            and args[1] in ("__code__", "__defaults__", "__kwdefaults__")
        ):
            refuse("replacing a function's code", args[1])
        if event == "open":
            path, mode, flags = args
            if _type(path) is _int:
                return  # an open descriptor: it was checked when it was opened
            where = real(path)
            if where is None:
                refuse("open with a path that is not a plain path", path)
            if "environ" in where:
                refuse("open", where)
            writing = (_type(mode) is _str and _any(c in mode for c in "wax+")) or (
                _type(flags) is _int and flags & _flags
            )
            inside = under(where, (_workdir,))
            if writing and not inside:
                refuse("open for writing", where)
            if not inside and ((_type(flags) is _int and flags & _directory) or is_folder(where)):
                refuse("open a folder outside the sandbox", where)  # a dir_fd to escape with
            if not inside and where != _own and under(where, _hidden):
                refuse("read of installed packages", where)
            if not under(where, _roots) and where not in _devices:
                refuse("read outside the sandbox", where)
            return
        if event in _listings and args and _type(args[0]) is not _int:
            where = real(_getcwd() if args[0] is None else args[0])
            if where is None or (not under(where, (_workdir,)) and under(where, _hidden)):
                refuse("listing installed packages", args[0])
            return
        for name, positions in _paths:
            if event == name:
                for i in positions:
                    if i >= _len(args) or args[i] is None:
                        continue
                    if not under(real(args[i]), (_workdir,)):
                        refuse(event, args[i])
        for name, positions in _dir_fds:
            if event == name:
                for i in positions:
                    if i < _len(args) and args[i] not in (None, -1):
                        refuse(f"{event} with dir_fd", "dir_fd")

    sys.addaudithook(guard)


def _load(path, name):
    """Execute a source file as module ``name`` (read into memory first: rewriting it later on
    disk changes nothing that runs)."""
    with open(path) as handle:
        source = handle.read()
    module = types.ModuleType(name)
    module.__file__ = os.path.abspath(path)
    sys.modules[name] = module
    exec(compile(source, path, "exec"), module.__dict__)
    return module


def run_test_file(test_file, channel, nonce):
    try:
        module = _load(test_file, os.path.splitext(test_file)[0])
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


PLAIN = (type(None), bool, int, float, complex, str, bytes)


def is_plain(value, depth=0):
    """Data that ``ast.literal_eval`` reads back as itself: no objects, no custom methods."""
    if depth > 50:
        return False
    if type(value) in PLAIN:
        return True
    if type(value) in (list, tuple, set, frozenset):
        return all(is_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(is_plain(k, depth + 1) and is_plain(v, depth + 1) for k, v in value.items())
    return False


def run_calls(module_file, function, calls, channel, nonce):
    """Call ``function`` on each argument tuple; send back what it returned, as a literal."""
    arguments = [ast.literal_eval(c) for c in calls]  # before any model code runs
    try:
        module = _load(module_file, os.path.splitext(module_file)[0])
        target = getattr(module, function)
    except BaseException as exc:
        report(channel, nonce, collection_error=_describe(exc))
        return
    report(channel, nonce, collected=[f"call {i}" for i in range(len(calls))])
    for i, args in enumerate(arguments):
        try:
            value = target(*args)
            if not is_plain(value):
                raise TypeError(f"returned a {type(value).__name__}, not plain data")
            text = repr(value)
        except BaseException as exc:
            report(channel, nonce, call=i, error=_describe(exc))
            if isinstance(exc, (SystemExit, KeyboardInterrupt)):
                return
        else:
            report(channel, nonce, call=i, value=text)


def _describe(exc):
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {os.path.basename(last[0].filename)}:{last[0].lineno}" if last else ""
    return f"{type(exc).__name__}: {str(exc)[:160]}{where}"


def main():
    settings = json.loads(sys.stdin.read())
    sys.stdin.close()
    os.close(0)
    channel, nonce = settings["channel"], settings["nonce"]
    stdlib = [p for p in sys.path if p]  # under -I -S: the standard library alone
    network = settings["bubblewrap"] or enter_network_namespace()
    set_limits(settings["limits"])
    unprivileged = drop_privileges() or os.geteuid() != 0
    report(
        channel,
        nonce,
        isolation={
            "bubblewrap": settings["bubblewrap"],
            "network_namespace": network,
            "unprivileged": unprivileged,
            "audit_hook": settings.get("audit_hook", True),
        },
    )
    workdir = os.getcwd()
    sys.path.insert(0, workdir)
    for name in [m for m in sys.modules if m.partition(".")[0] in BLOCKED_MODULES]:
        del sys.modules[name]  # loaded already, it would import without an audit event
    # the standard library, what the runner adds (time zones), this file (tracebacks read it);
    # never what the runner hides (installed packages), even inside the standard library
    readable = {*stdlib, *settings.get("readable", ()), __file__}
    hidden = settings.get("hidden", ())
    if settings.get("audit_hook", True):  # off only under bubblewrap, to test it alone
        install_guard(workdir, sorted(readable), channel, nonce, hidden, __file__)
    if settings["mode"] == "calls":  # the runner's JobKind.CALLS (this process imports nothing)
        run_calls(settings["module"], settings["function"], settings["calls"], channel, nonce)
    else:
        run_test_file(settings["test_file"], channel, nonce)
    report(channel, nonce, done=True)
    for stream in (_stdout, _stderr):
        try:  # noqa: SIM105 - whatever the model did to the stream, end now
            stream.flush()
        except BaseException:
            pass
    _exit(0)  # threads the model's code left running end here, not at the wall clock


if __name__ == "__main__":
    main()
