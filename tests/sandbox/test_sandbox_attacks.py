"""The hostile corpus against gold: contained, forging nothing, as root and as an unprivileged
user, with bubblewrap and with the other layers alone.

Each variant runs the whole corpus (``tests/sandbox_corpus.py``) through
:func:`ripeness.sandbox.runner.run_calls` in a driver process: as is (root in CI), or as
``nobody`` through ``setpriv`` with the system Python on a copy of the sandbox package (the
project's virtualenv lives under /root, which nobody cannot read). Then the host is checked:
no file written outside, the canary still there, no secret in anything the run returned, no
process left running, nobody connected to the listening port.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import pytest
from sandbox_corpus import ATTACKS, CASES

import ripeness.sandbox.runner as runner

ROOT = os.geteuid() == 0
SYSTEM_PYTHON = shutil.which("python3.11", path="/usr/bin")
DRIVER = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from ripeness.sandbox.runner import Limits, describe_isolation, run_many
    job = json.loads(sys.stdin.read())
    limits = Limits(cpu_seconds=2, wall_seconds=8, memory_mb=256, file_size_kb=256)
    cases = [tuple(c) for c in job["cases"]]
    jobs = [
        {"files": {"solution.py": code}, "function": "add", "cases": cases, "limits": limits}
        for code in job["attacks"].values()
    ]
    results = run_many(jobs, workers=2)
    print(json.dumps({
        "isolation": describe_isolation(),
        "results": {
            name: {
                "passed": r.passed, "status": r.status, "reason": r.reason,
                "blocked": r.blocked, "errors": r.errors, "output": r.output,
                "tests": r.tests, "seconds": r.seconds, "layers": r.isolation,
            }
            for name, r in zip(job["attacks"], results)
        },
    }))
    """
)


class Host:
    """What the attacks aim at on the host, and the checks that they missed."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="ripeness-attack-target-", dir="/tmp"))
        self.folder.chmod(0o777)  # the OS alone would let any user write here
        (self.folder / "canary").write_text("alive")
        (self.folder / "canary").chmod(0o666)
        self.token = "TOKEN-" + secrets.token_hex(8)
        self.secret = self.folder / "secret.txt"
        self.secret.write_text(self.token)
        self.secret.chmod(0o644)  # the OS alone would let any user read it
        self.marker = "ripeness-marker-" + secrets.token_hex(4)
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.2)
        self.connected: list = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                self.connected.append(self.server.accept())
            except OSError:
                continue

    def attacks(self) -> dict[str, str]:
        values = {
            "target": str(self.folder),
            "secret": str(self.secret),
            "port": self.server.getsockname()[1],
            "marker": self.marker,
            "source": str(Path(runner.__file__).parents[1]),  # the ripeness package's folder
        }
        attacks = {}
        for name, (code, _, _) in ATTACKS.items():
            for key, value in values.items():
                code = code.replace("{" + key + "}", str(value))
            attacks[name] = code
        return attacks

    def stragglers(self) -> list[str]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if self.marker in line or "sleep 37" in line:
                found.append(line)
        return found

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def run_corpus(
    host: Host, as_nobody: bool, bubblewrap: bool, tmp_path: Path, audit_hook: bool = True
) -> dict:
    env = {**os.environ, runner.BWRAP_SWITCH: "1" if bubblewrap else "0"}
    env[runner.AUDIT_SWITCH] = "1" if audit_hook else "0"
    env["RIPENESS_TEST_SECRET"] = host.token  # the parent's environment holds a secret
    job = json.dumps({"attacks": host.attacks(), "cases": CASES})
    if as_nobody:
        copy = tmp_path / "copy"
        (copy / "ripeness" / "sandbox").mkdir(parents=True)
        (copy / "ripeness" / "__init__.py").write_text("")
        source = Path(runner.__file__).parent
        for name in ("__init__.py", "runner.py", "child.py"):
            shutil.copy(source / name, copy / "ripeness" / "sandbox" / name)
        for path in [tmp_path, *tmp_path.parents]:
            if path == Path("/"):
                break
            path.chmod(path.stat().st_mode | 0o005)  # nobody may reach the copy
        for path in copy.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        command = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
        command += [SYSTEM_PYTHON, "-I", "-c", DRIVER, str(copy)]
        cwd = "/tmp"
    else:
        command = [sys.executable, "-c", DRIVER, str(Path(runner.__file__).parents[2])]
        cwd = str(tmp_path)
    done = subprocess.run(
        command, input=job, capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


VARIANTS = [
    pytest.param(False, True, True, id="as-is, bubblewrap"),
    pytest.param(False, False, True, id="as-is, no bubblewrap"),
    pytest.param(True, True, True, id="nobody, bubblewrap"),
    pytest.param(True, False, True, id="nobody, no bubblewrap"),
    # bubblewrap alone, the audit hook off: the OS layer must contain everything by itself
    pytest.param(False, True, False, id="as-is, bubblewrap, no audit hook"),
    pytest.param(True, True, False, id="nobody, bubblewrap, no audit hook"),
]


@pytest.mark.parametrize(("as_nobody", "bubblewrap", "audit_hook"), VARIANTS)
def test_every_attack_is_contained_and_forges_nothing(as_nobody, bubblewrap, audit_hook, tmp_path):
    if as_nobody and not (ROOT and SYSTEM_PYTHON and shutil.which("setpriv")):
        pytest.skip("running as another user needs root, setpriv and /usr/bin/python3.11")
    if bubblewrap and runner.bubblewrap() is None:
        pytest.fail("bubblewrap is not usable here: `make setup` installs it (bubblewrap)")
    host = Host()
    try:
        outcome = run_corpus(host, as_nobody, bubblewrap, tmp_path, audit_hook)
        results = outcome["results"]
        assert all(r["layers"]["audit_hook"] == audit_hook for r in results.values())
        assert ("bubblewrap" in outcome["isolation"].split(";")[0]) == bubblewrap
        problems = []
        for name, (_, status, passes) in ATTACKS.items():
            result = results[name]
            if result["passed"] != passes:
                problems.append(f"{name}: passed={result['passed']} ({result['reason']})")
            if status is not None and result["status"] != status:
                problems.append(f"{name}: status {result['status']}, not {status}")
            told = json.dumps(result)
            if host.token in told or "root:x:0:0" in told:
                problems.append(f"{name}: a secret came back in the result")
        escaped = sorted(p.name for p in host.folder.iterdir())
        assert escaped == ["canary", "secret.txt"], escaped
        assert (host.folder / "canary").read_text() == "alive"
        assert host.stragglers() == []
        assert host.connected == []
        assert not problems, "\n".join(problems)
        # the run ends when the calls do: a thread left sleeping does not hold it to the clock
        assert results["threads that outlive the calls"]["seconds"] < 4
    finally:
        host.close()


def test_layers_are_reported_in_one_line(monkeypatch):
    monkeypatch.setenv(runner.BWRAP_SWITCH, "0")
    line = runner.describe_isolation()
    assert line.startswith("sandbox:") and "no bubblewrap" in line and "\n" not in line
    assert runner.isolation_layers()["bubblewrap"] is False
    monkeypatch.setenv(runner.BWRAP_SWITCH, "1")
    if runner.bubblewrap() is not None:
        assert runner.describe_isolation().startswith("sandbox: bubblewrap")
