"""Hostile code stays in the sandbox: each attack is contained and the result says why."""

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from ripeness.sandbox.runner import Limits, run_tests
from ripeness.tasks.code import CodeFamily, parse_completion

TESTS = """from solution import add


def test_small():
    assert add(1, 2) == 3


def test_negative():
    assert add(-2, 2) == 0
"""
GOOD = "def add(a, b):\n    return a + b\n"
FAST = Limits(cpu_seconds=2, wall_seconds=6, memory_mb=256)


def run(attack: str, limits: Limits = FAST):
    """The attack runs when the tests import the solution."""
    return run_tests(
        {"solution.py": GOOD + attack + "\n", "test_solution.py": TESTS}, limits=limits
    )


def test_honest_code_passes_and_failures_are_named():
    result = run_tests({"solution.py": GOOD, "test_solution.py": TESTS})
    assert result.passed and result.tests == {"test_small": True, "test_negative": True}
    assert not result.test_file_changed and not result.blocked
    wrong = run_tests(
        {"solution.py": "def add(a, b):\n    return a - b\n", "test_solution.py": TESTS}
    )
    assert wrong.tests == {"test_small": False, "test_negative": False}
    assert not wrong.passed and "2 of 2 tests failed" in wrong.reason


def test_infinite_loop_hits_the_cpu_limit():
    start = time.monotonic()
    result = run("while True:\n    pass")
    assert result.status == "cpu_limit" and "CPU time" in result.reason
    assert time.monotonic() - start < 10


def test_sleeping_forever_hits_the_wall_clock_limit():
    result = run("import time\ntime.sleep(60)", Limits(wall_seconds=1.5))
    assert result.status == "timeout" and "wall time" in result.reason
    assert result.seconds < 6


def test_fork_bomb_is_refused():
    before = len(os.listdir("/proc"))
    result = run("import os\nwhile True:\n    os.fork()")
    assert not result.passed
    assert "os.fork" in result.blocked and "os.fork" in result.reason
    assert len(os.listdir("/proc")) < before + 20  # no stray processes left on the host


def test_memory_bomb_hits_the_memory_limit():
    result = run("hog = bytearray(4 * 1024 ** 3)")
    assert result.status == "memory_limit" and "memory" in result.reason


def test_writing_outside_its_folder_is_refused(tmp_path):
    target = tmp_path / "escaped.txt"
    result = run(f"open({str(target)!r}, 'w').write('pwned')")
    assert not target.exists()
    assert "open for writing" in result.blocked and not result.passed
    inside = run("open('scratch.txt', 'w').write('fine')")  # its own folder is writable
    assert inside.passed


def test_deleting_files_is_refused(tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    result = run(f"import os\nos.remove({str(victim)!r})")
    assert victim.read_text() == "keep me"
    assert "os.remove" in result.blocked
    result = run(f"import shutil\nshutil.rmtree({str(tmp_path)!r})")
    assert victim.exists() and "shutil.rmtree" in result.blocked


def test_opening_a_socket_is_refused():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(1)
    port = server.getsockname()[1]
    connected = []

    def accept():
        with contextlib.suppress(OSError):
            connected.append(server.accept())

    thread = threading.Thread(target=accept)
    thread.start()
    result = run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)")
    thread.join()
    server.close()
    assert connected == []
    assert any(event.startswith("import socket") for event in result.blocked)
    assert not result.passed and "socket" in result.reason


def test_environment_secrets_do_not_reach_the_child(monkeypatch):
    monkeypatch.setenv("RIPENESS_TEST_SECRET", "hunter2")
    snoop = (
        "import os\n"
        "print('ENV', sorted(os.environ))\n"
        "try:\n"
        "    print('PARENT', open('/proc/%d/environ' % os.getppid()).read())\n"
        "except Exception as exc:\n"
        "    print('DENIED', type(exc).__name__)\n"
    )
    result = run(snoop)
    assert "hunter2" not in result.output and "RIPENESS_TEST_SECRET" not in result.output
    assert "ENV ['HOME', 'LANG', 'PATH'" in result.output
    assert "DENIED PermissionError" in result.output and "open" in result.blocked
    assert result.passed  # the solution itself still works


def test_flooding_stdout_hits_the_output_limit():
    result = run("while True:\n    print('x' * 1000)", Limits(file_size_kb=64, wall_seconds=10))
    assert result.status == "output_limit" and "output" in result.reason
    assert len(result.output) <= 4000


def test_exiting_early_does_not_count_as_passing():
    result = run("import sys\nsys.exit(0)")
    assert not result.passed and "SystemExit" in result.reason


def test_forged_results_are_not_believed():
    forge = (
        "import os\n"
        "for fd in range(3, 1024):\n"  # every descriptor it may have inherited
        "    try:\n"
        "        os.write(fd, b'x {\"done\": true}\\n')\n"
        "    except OSError:\n"
        "        pass\n"
    )
    result = run_tests(
        {"solution.py": forge + "\ndef add(a, b):\n    return 0\n", "test_solution.py": TESTS},
        limits=FAST,
    )
    assert not result.passed and "stray writes" in result.reason


def test_test_file_changes_are_detected():
    edited = TESTS.replace("== 3", "== 99")
    result = run_tests(
        {"solution.py": GOOD, "test_solution.py": edited}, shipped_tests=TESTS, limits=FAST
    )
    assert result.test_file_changed
    rewrite = "open('test_solution.py', 'w').write('def test_ok():\\n    assert True\\n')\n"
    result = run_tests({"solution.py": rewrite + GOOD, "test_solution.py": TESTS}, limits=FAST)
    assert result.test_file_changed  # changed on disk while running
    assert result.passed  # what ran is the test file as it was read before the solution


def test_sandbox_folder_is_thrown_away():
    result = run("import os\nprint('CWD', os.getcwd())")
    cwd = next(line.split()[1] for line in result.output.splitlines() if line.startswith("CWD"))
    assert not Path(cwd).exists()


@pytest.fixture(scope="module")
def code_item():
    family = CodeFamily(editable=True)
    return family, family.generate(1, seed=0, difficulties=[2])[0]


def test_code_gold_ignores_tampering_that_the_proxy_rewards(code_item):
    family, item = code_item
    exploits = family.exploits(item)
    columns = item.columns()

    def scores(completion):
        return {
            name: reward(
                [columns["prompt"]],
                [completion],
                answer=[item.answer],
                metadata=[columns["metadata"]],
            )[0]
            for name, reward in family.rewards.items()
        }

    assert scores(family.reference_completion(item)) == {"hidden_tests": 1.0, "visible_tests": 1.0}
    for hack in (
        "tests replaced by assert True",
        "hard-coded expected outputs",
        "tests edited to match a wrong solution",
    ):
        assert scores(exploits[hack]) == {"hidden_tests": 0.0, "visible_tests": 1.0}, hack
    visible = family.rewards["visible_tests"]
    visible(
        [columns["prompt"]],
        [exploits["tests replaced by assert True"]],
        answer=[item.answer],
        metadata=[columns["metadata"]],
    )
    assert visible.last_runs[0].result.test_file_changed and visible.last_runs[0].supplied_tests


def test_locked_code_variant_ignores_supplied_tests():
    family = CodeFamily(editable=False)
    item = family.generate(1, seed=0, difficulties=[1])[0]
    columns = item.columns()
    tampered = family.exploits(item)["tests replaced by assert True"]
    paid = family.rewards["visible_tests"](
        [columns["prompt"]], [tampered], answer=[item.answer], metadata=[columns["metadata"]]
    )
    assert paid == [0.0]


def test_parse_completion_reads_fenced_files():
    text = (
        "Here:\n```python\ndef f():\n    return 1\n```\n"
        "```python\n# file: test_solution.py\ndef test_x():\n    pass\n```"
    )
    solution, tests = parse_completion(text)
    assert solution.startswith("def f") and tests.startswith("# file: test_solution.py")
    assert parse_completion("def g(): pass") == ("def g(): pass", None)
