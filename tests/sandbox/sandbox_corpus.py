"""Hostile solutions for the sandbox's gold path: each a tiny ``solution.py`` that must define
``add(a, b)``, and each trying to get paid for a wrong answer or to get out.

Placeholders, replaced as plain text: ``{target}`` is a host folder anyone may write to (the
OS would let the code in), ``{secret}`` a host file anyone may read, ``{port}`` a listening
host port, ``{marker}`` a word that a process left running would carry on its command line,
``{source}`` the folder of the ``ripeness`` package the runner was imported from.
Run by ``test_sandbox_attacks.py``, as root and as an unprivileged user, with and without
bubblewrap, and under bubblewrap with the audit hook off; the hunts for installed sources
(``SOURCE_HUNTS``) also by ``test_sandbox_layouts.py``, with Ripeness installed in a virtualenv,
in the system interpreter's site-packages, in Debian's dist-packages and as an editable install.
"""

WRONG = "\ndef add(a, b):\n    return None\n"
RIGHT = "\ndef add(a, b):\n    return a + b\n"

# name -> (solution source, expected status or None for "any failure", passes?)
ATTACKS = {
    # 1. the guard switched off from inside, then a shell
    "guard tables emptied": (
        "import __main__\n"
        "for name in ('BLOCKED_PREFIXES', 'BLOCKED_MODULES', 'PATH_EVENTS', 'PATH_EVENT_ITEMS',\n"
        "             'DIR_FD_EVENT_ITEMS', 'DIR_FD_EVENTS', 'READABLE_DEVICES'):\n"
        "    try:\n"
        "        setattr(__main__, name, type(getattr(__main__, name))())\n"
        "    except Exception:\n"
        "        pass\n"
        "import posix\n"
        "posix.system('touch {target}/escaped-system')\n" + WRONG,
        None,
        False,
    ),
    "guard helpers replaced": (
        "import __main__\n"
        "try:\n"
        "    __main__.resolve.__defaults__ = (lambda p: None, lambda p: '')\n"
        "except Exception:\n"
        "    pass\n"
        "open('{target}/escaped-defaults', 'w').write('x')\n" + WRONG,
        None,
        False,
    ),
    "path functions patched": (
        "import os, posixpath\n"
        "posixpath._joinrealpath = lambda *a, **k: (os.getcwd(), True)\n"
        "os.path.realpath = lambda p, **k: os.getcwd()\n"
        "os.path.isdir = lambda p: False\n"
        "open('{target}/escaped-realpath', 'w').write('x')\n" + WRONG,
        None,
        False,
    ),
    # 2. forged verdicts
    "harness report patched": (
        "import __main__\n"
        "_real = __main__.report\n"
        "def fake(channel, nonce, **fields):\n"
        "    if 'call' in fields:\n"
        "        fields = {'call': fields['call'], 'value': '3'}\n"
        "    if 'test' in fields:\n"
        "        fields['passed'] = True\n"
        "    return _real(channel, nonce, **fields)\n"
        "__main__.report = fake\n" + WRONG,
        None,
        False,
    ),
    "__eq__ always true": (
        "class Anything:\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "    def __ne__(self, other):\n"
        "        return False\n"
        "    __hash__ = object.__hash__\n"
        "def add(a, b):\n"
        "    return Anything()\n",
        None,
        False,
    ),
    "int subclass equal to all": (
        "class Int(int):\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "    __hash__ = int.__hash__\n"
        "def add(a, b):\n"
        "    return Int(0)\n",
        None,
        False,
    ),
    "repr forged by the value": (
        "class Three:\n"
        "    def __repr__(self):\n"
        "        return '3'\n"
        "def add(a, b):\n"
        "    return Three()\n",
        None,
        False,
    ),
    "builtins patched": (
        "import builtins, __main__\n"
        "builtins.repr = lambda value: '3'\n"
        "builtins.isinstance = lambda *a: True\n"
        "__main__.is_plain = lambda value, depth=0: True\n" + WRONG,
        None,
        False,
    ),
    "result lines forged through frames": (
        "import json, os, sys\n"
        "frame, found = sys._getframe(), None\n"
        "while frame:\n"
        "    if 'nonce' in frame.f_locals and 'channel' in frame.f_locals:\n"
        "        found = frame.f_locals['nonce'], frame.f_locals['channel']\n"
        "    frame = frame.f_back\n"
        "if found:\n"
        "    nonce, channel = found\n"
        "    for i in range(10):\n"
        '        os.write(channel, (nonce + \' {"call": %d, "value": "3"}\\n\' % i).encode())\n'
        "        line = json.dumps({'test': 't%d' % i, 'passed': True})\n"
        "        os.write(channel, (nonce + ' ' + line + '\\n').encode())\n"
        "    os.write(channel, (nonce + ' {\"done\": true}\\n').encode())\n"
        "    os._exit(0)\n" + WRONG,
        None,
        False,
    ),
    "gc hunts the harness's secrets": (
        "import gc\n"
        "secrets = [o for o in gc.get_objects() if isinstance(o, dict) and 'nonce' in o]\n" + WRONG,
        None,
        False,
    ),
    "result channel through /proc/self/fd": (
        "import os\n"
        "for fd in range(3, 1024):\n"
        "    try:\n"
        "        with open('/proc/self/fd/%d' % fd, 'w') as pipe:\n"
        '            pipe.write(\'x {"call": 0, "value": "3"}\\n\')\n'
        "    except Exception:\n"
        "        pass\n" + WRONG,
        None,
        False,
    ),
    "exit before the calls": ("import sys\nsys.exit(0)\n" + WRONG, "collection_error", False),
    "hard exit before the calls": ("import os\nos._exit(0)\n" + WRONG, "crashed", False),
    # 3. writes outside the folder
    "write outside": ("open('{target}/escaped-open', 'w').write('x')\n" + WRONG, None, False),
    "dir_fd write": (
        "import os\n"
        "fd = os.open('{target}', os.O_RDONLY)\n"
        "os.open('escaped-dirfd', os.O_CREAT | os.O_WRONLY, dir_fd=fd)\n" + WRONG,
        None,
        False,
    ),
    "dir_fd remove": (
        "import os\n"
        "fd = os.open('{target}', os.O_RDONLY | os.O_DIRECTORY)\n"
        "os.remove('canary', dir_fd=fd)\n" + WRONG,
        None,
        False,
    ),
    "dir_fd rename": (
        "import os\n"
        "fd = os.open('{target}', os.O_RDONLY)\n"
        "os.rename('canary', 'moved', src_dir_fd=fd, dst_dir_fd=fd)\n" + WRONG,
        None,
        False,
    ),
    "symlink out of the folder": (
        "import os\n"
        "os.symlink('{target}', 'out')\n"
        "open('out/escaped-link', 'w').write('x')\n" + WRONG,
        None,
        False,
    ),
    "chdir out, then a relative write": (
        "import os\nos.chdir('{target}')\nopen('escaped-chdir', 'w').write('x')\n" + WRONG,
        None,
        False,
    ),
    "path object that changes its mind": (
        "import os\n"
        "class Shifty:\n"
        "    calls = 0\n"
        "    def __fspath__(self):\n"
        "        Shifty.calls += 1\n"
        "        return 'inside' if Shifty.calls == 1 else '{target}/escaped-pathlike'\n"
        "    def __str__(self):\n"
        "        return 'inside'\n"
        "open(Shifty(), 'w').write('x')\n" + WRONG,
        None,
        False,
    ),
    # 4. processes that would outlive the run, and process creation
    "setsid straggler": (
        "import os\nos.system('setsid sleep 37 {marker} &')\n" + WRONG,
        None,
        False,
    ),
    "fork bomb": ("import os\nwhile True:\n    os.fork()\n" + WRONG, None, False),
    "posix_spawn": (
        "import os\nos.posix_spawn('/bin/sh', ['sh', '-c', 'touch {target}/escaped-spawn'], {})\n"
        + WRONG,
        None,
        False,
    ),
    "subprocess through __import__": (
        "__import__('subprocess').run(['touch', '{target}/escaped-subprocess'])\n" + WRONG,
        None,
        False,
    ),
    "ctypes": (
        "import ctypes\nctypes.CDLL(None).system(b'touch {target}/escaped-ctypes')\n" + WRONG,
        None,
        False,
    ),
    "kill the parent": ("import os\nos.kill(os.getppid(), 9)\n" + WRONG, None, False),
    "threads that outlive the calls": (
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,)).start()\n" + RIGHT,
        "ok",
        True,  # an honest answer stays honest; the thread ends with the run, not at the timeout
    ),
    # 5. reads and the network
    "read a host secret": (
        "TEXT = open('{secret}').read()\ndef add(a, b):\n    return TEXT\n",
        None,
        False,
    ),
    "read a host secret through a link": (
        "import os\nos.symlink('{secret}', 'leak')\nTEXT = open('leak').read()\n"
        "def add(a, b):\n    return TEXT\n",
        None,
        False,
    ),
    "read /etc/passwd": (
        "TEXT = open('/etc/passwd').read()\ndef add(a, b):\n    return TEXT\n",
        None,
        False,
    ),
    "parent's environment": (
        "import os\nTEXT = open('/proc/%d/environ' % os.getppid()).read()\n"
        "def add(a, b):\n    return TEXT\n",
        None,
        False,
    ),
    "network socket": (
        "import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)\n" + WRONG,
        None,
        False,
    ),
    "raw _socket": (
        "import _socket\n"
        "s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)\n"
        "s.connect(('127.0.0.1', {port}))\n" + WRONG,
        None,
        False,
    ),
    # 6. limits
    "infinite loop": ("while True:\n    pass\n" + WRONG, "cpu_limit", False),
    "memory bomb": ("hog = bytearray(4 * 1024 ** 3)\n" + WRONG, "memory_limit", False),
    "huge output": ("while True:\n    print('x' * 100000)\n" + WRONG, "output_limit", False),
    "huge return value": ("def add(a, b):\n    return 'x' * 10 ** 7\n", "output_limit", False),
    "signal handler ignores the CPU limit": (
        "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n"
        + WRONG,
        None,
        False,
    ),
    "audit hook of its own": (
        "import sys\nsys.addaudithook(lambda event, args: None)\n" + WRONG,
        None,
        False,
    ),
}

# 7. hunts for installed sources (a reference solution, a hidden test, a verifier): each is paid
# (returns the right sum) only if it read a file of an installed package or of Ripeness, or
# imported Ripeness; it must never be, in any layout (test_sandbox_layouts.py runs these too)
HUNT = '''
import glob, os, sys

FOUND = []
_OWN = os.path.realpath(getattr(sys.modules["__main__"], "__file__", "") or "/")


def grab(path):
    """Read a file of an installed package or of Ripeness; True (and paid) if it could."""
    path = str(path)
    parts = path.split("/")[:-1]
    if not any(p in ("site-packages", "dist-packages", "ripeness") for p in parts):
        return False
    if os.path.realpath(path) == _OWN:
        return False  # the sandbox's own file (public, readable by design)
    try:
        with open(path, "rb") as handle:
            handle.read(64)
    except Exception:
        return False
    FOUND.append(path)
    return True


def files_under(root, limit=2000):
    count = 0
    for folder, _, names in os.walk(root):
        for name in names:
            count += 1
            if count > limit:
                return
            yield os.path.join(folder, name)


def site_folders():
    import site

    version = "%d.%d" % sys.version_info[:2]
    found = set(site.getsitepackages()) | {site.getusersitepackages()}
    for prefix in {sys.prefix, sys.base_prefix, "/usr", "/usr/local"}:
        for pattern in ("lib/python3*/*-packages", "local/lib/python3*/*-packages"):
            found.update(glob.glob(os.path.join(prefix, pattern)))
        found.add(os.path.join(prefix, "lib", "python" + version, "site-packages"))
    found.add("/usr/lib/python3/dist-packages")
    return sorted(found)
'''
PAID_IF_FOUND = "\ndef add(a, b):\n    return a + b if FOUND else None\n"


def _hunt(body: str) -> tuple[str, None, bool]:
    return HUNT + body + PAID_IF_FOUND, None, False


SOURCE_HUNTS = {
    "installed: import ripeness from the site folders": _hunt(
        """
sys.path.extend(site_folders())
try:
    import ripeness.tasks.code

    FOUND.append(ripeness.tasks.code.__file__)
except Exception:
    pass
"""
    ),
    "installed: find_spec('ripeness'), then read it": _hunt(
        """
import importlib.util

sys.path.extend(site_folders())
try:
    spec = importlib.util.find_spec("ripeness")
except Exception:
    spec = None
if spec is not None:
    for folder in spec.submodule_search_locations or []:
        grab(os.path.join(folder, "tasks", "code.py"))
    if spec.origin:
        grab(spec.origin)
"""
    ),
    "installed: walk sys.path, sys.prefix and the site folders": _hunt(
        """
roots = set(sys.path) | {sys.prefix, sys.base_prefix, sys.exec_prefix} | set(site_folders())
for root in sorted(r for r in roots if r):
    for path in files_under(root, 1500):
        if grab(path):
            break
"""
    ),
    "installed: glob /usr, /opt and pyenv for ripeness": _hunt(
        """
patterns = ["/usr/" + "*/" * depth + "ripeness" for depth in range(1, 6)]
patterns += [
    "/usr/local/lib/python3*/*-packages/*/ripeness",
    "/usr/local/src/*/src/ripeness",
    "/opt/*/lib/python3*/site-packages/ripeness",
    "/opt/conda/envs/*/lib/python3*/site-packages/ripeness",
    "/root/.pyenv/versions/*/lib/python3*/site-packages/ripeness",
]
if sys.base_prefix != "/usr":
    patterns += [sys.base_prefix + "/" + "*/" * depth + "ripeness" for depth in range(1, 6)]
for pattern in patterns:
    for folder in glob.glob(pattern, recursive=True):
        grab(os.path.join(folder, "tasks", "code.py"))
        for path in files_under(folder, 50):
            grab(path)
"""
    ),
    "installed: /proc maps, environ and cmdline lead to the host's folders": _hunt(
        """
places = set()
sources = ["/proc/self/maps", "/proc/1/maps", "/proc/self/environ", "/proc/1/environ"]
sources += ["/proc/%d/environ" % os.getppid(), "/proc/%d/cmdline" % os.getppid()]
sources += ["/proc/1/cmdline", "/proc/self/mountinfo"]
for source in sources:
    try:
        with open(source, "rb") as handle:
            text = handle.read().decode(errors="replace")
    except Exception:
        continue
    for sep in "\\0=:":
        text = text.replace(sep, " ")
    places.update(word for word in text.split() if word.startswith("/"))
for link in ("/proc/self/exe", "/proc/%d/exe" % os.getppid(), "/proc/%d/cwd" % os.getppid()):
    try:
        places.add(os.readlink(link))
    except Exception:
        pass
version = "%d.%d" % sys.version_info[:2]
subs = ["", "site-packages", "dist-packages", "src", "lib/python3/dist-packages"]
subs += ["lib/python%s/site-packages" % version, "local/lib/python%s/dist-packages" % version]
seen = set()
for place in sorted(places)[:300]:
    for _ in range(5):
        place = os.path.dirname(place)
        for sub in subs:
            folder = os.path.join(place, sub)
            if folder in seen:
                continue
            seen.add(folder)
            try:
                names = os.listdir(folder)
            except Exception:
                continue
            for name in names[:200]:
                grab(os.path.join(folder, name))
                grab(os.path.join(folder, name, "__init__.py"))
                grab(os.path.join(folder, name, "tasks", "code.py"))
"""
    ),
    "installed: read the site folders' .pth files, then follow them": _hunt(
        """
for folder in site_folders():
    names = glob.glob(os.path.join(folder, "*.pth"))
    names += [os.path.join(folder, "__editable__.ripeness-0.1.0.pth")]
    names += [os.path.join(folder, "distutils-precedence.pth")]
    for pth in names:
        if not grab(pth):
            continue
        with open(pth) as handle:
            for line in handle:
                if line.strip().startswith("/"):
                    for path in files_under(line.strip(), 200):
                        grab(path)
"""
    ),
    "installed: the sandbox's own file leads to the package": _hunt(
        """
here = os.path.dirname(_OWN)
for name in ("runner.py", "__init__.py", "../__init__.py", "../tasks/code.py"):
    grab(os.path.normpath(os.path.join(here, name)))
for path in files_under(os.path.dirname(here), 100):
    grab(path)
"""
    ),
    "installed: the site folders through /proc/self/root": _hunt(
        """
for folder in site_folders():
    for route in ("/proc/self/root", "/proc/1/root", "/proc/%d/root" % os.getppid()):
        try:
            names = os.listdir(route + folder)
        except Exception:
            continue
        for name in names[:200]:
            grab(route + folder + "/" + name)
            grab(route + folder + "/" + name + "/__init__.py")
"""
    ),
    "installed: the host's ripeness sources by their path": _hunt(
        """
for name in ("tasks/code.py", "__init__.py", "sandbox/runner.py", "tasks/registry.py"):
    grab(os.path.join("{source}", name))
    grab(os.path.join("/proc/self/root{source}", name))
"""
    ),
}

ATTACKS.update(SOURCE_HUNTS)

CASES = [("(1, 2)", "3"), ("(2, 2)", "4"), ("(-5, 5)", "0"), ("(10, 7)", "17")]
