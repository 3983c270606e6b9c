"""Installed sources stay out of the sandbox, however Ripeness is installed (issue 25).

Ripeness and a user's task package (a family registered through the ``ripeness.tasks`` entry
point group; its hidden tests hold the only copy of the answer) are installed once per session,
from this checkout, with pip and no network, in throwaway places:

- ``venv``: a virtualenv, both from wheels;
- ``system``: the site folders of an interpreter of its own, a relocated copy of the system
  Python (Debian's layout: pip's ``PREFIX/local/lib/python3.X/dist-packages`` for Ripeness,
  ``PREFIX/lib/python3/dist-packages`` for the task package) with a ``.pth`` file; the sandbox
  binds that prefix whole, as it binds /usr/local of a Docker image or pyenv's prefix;
- ``editable``: ``pip install -e`` into another such copy, both source trees inside its prefix;
- ``debian``: the real /usr/local/lib/python3.X/dist-packages and /usr/lib/python3/dist-packages
  of /usr/bin/python3 (uniquely named folders, removed at the end; as root only).

For each, ``layout_driver.py`` runs with the layout's interpreter, under bubblewrap, without it
and under bubblewrap with the audit hook off (as root here: the child drops to ``nobody``):
gold must stay failed for solutions that hunt for the reference solutions, hidden tests and
verifier (and pass for the right ones); from inside the sandbox those files cannot be read,
listed or imported, and the corpus's hunts for installed sources forge nothing. The same hunts
run outside the sandbox too, where they find what they look for.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sandbox_corpus import SOURCE_HUNTS

import ripeness.sandbox.runner as runner

CHECKOUT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("layout_driver.py")
ROOT = os.geteuid() == 0
PIP = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check", "--no-input"]
OFFLINE = ["--no-deps", "--no-index", "--no-build-isolation"]
TASKS_PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "ripeness-layout-tasks"
version = "0.1"

[project.entry-points."ripeness.tasks"]
layouttask = "ripeness_layout_tasks.verifier:make"

[tool.setuptools]
packages = ["ripeness_layout_tasks"]
"""
VERIFIER = '''"""A user's task family: gold calls secret_word(n) on hidden cases in the sandbox."""

from ripeness.sandbox.runner import Limits, run_calls
from ripeness_layout_tasks.hidden_tests import HIDDEN_CASES

LIMITS = Limits(cpu_seconds=2, wall_seconds=8, memory_mb=256)


class LayoutTasks:
    name = "layouttask"

    def gold(self, solution):
        return run_calls({"solution.py": solution}, "secret_word", HIDDEN_CASES, limits=LIMITS)


def make(arg):
    return LayoutTasks()
'''
HIDDEN_TESTS = """WORD = "{word}"  # the answer, nowhere but here
HIDDEN_CASES = [("(1,)", repr(WORD)), ("(2,)", repr(WORD * 2))]
"""
VARIANTS = {
    "bubblewrap": {runner.BWRAP_SWITCH: "1", runner.AUDIT_SWITCH: "1"},
    "no bubblewrap": {runner.BWRAP_SWITCH: "0", runner.AUDIT_SWITCH: "1"},
    "bubblewrap, no audit hook": {runner.BWRAP_SWITCH: "1", runner.AUDIT_SWITCH: "0"},
}
LAYOUTS = ("venv", "system", "editable", "debian")
VERSION = "import sys; print('%d.%d' % sys.version_info[:2])"
WHERE = "import json, site, sys; print(json.dumps([sys.prefix, site.getsitepackages()]))"
# hunts that must find their target when run outside the sandbox, in every layout
HOST_HUNTS = [
    "installed: import ripeness from the site folders",
    "installed: the host's ripeness sources by their path",
]


def _run_all(commands: list[list[str]], **kwargs) -> None:
    """Run commands side by side; fail with the first one's error output."""
    processes = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
        for c in commands
    ]
    for command, process in zip(commands, processes, strict=True):
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, f"{' '.join(command)}:\n{output[-3000:]}"


def _output(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _static_system_python() -> str | None:
    """A system Python 3.11+ linked without a shared libpython, so a copy of it relocates."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        real = os.path.realpath(candidate)
        if not os.path.isfile(real):
            continue
        check = "import sys; print(sys.version_info >= (3, 11) and "
        check += "'libpython' not in open('/proc/self/maps').read())"
        static = subprocess.run([real, "-I", "-c", check], capture_output=True, text=True)
        if static.stdout.strip() == "True":
            return real
    return None


def _interpreter_copy(python: str, prefix: Path) -> tuple[str, list[str]]:
    """A relocated copy of ``python`` at ``prefix`` (its standard library hard-linked, no site
    folders): its interpreter and its site folders (pip's first)."""
    version = _output([python, "-I", "-c", VERSION])
    stdlib = _output([python, "-I", "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"])
    (prefix / "bin").mkdir(parents=True)
    copy = prefix / "bin" / f"python{version}"
    shutil.copy2(python, copy)
    shutil.copytree(
        stdlib,
        prefix / "lib" / f"python{version}",
        symlinks=True,
        copy_function=_link_or_copy,
        ignore=shutil.ignore_patterns("site-packages", "dist-packages", "test"),
    )
    where = json.loads(_output([str(copy), "-I", "-c", WHERE]))
    assert os.path.realpath(where[0]) == str(prefix.resolve()), f"{python} does not relocate"
    return str(copy), where[1]


def _project_copy(destination: Path) -> Path:
    (destination / "src").mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(CHECKOUT / name, destination / name)
    shutil.copytree(
        CHECKOUT / "src" / "ripeness",
        destination / "src" / "ripeness",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    return destination


def _tasks_project(destination: Path, word: str) -> Path:
    package = destination / "ripeness_layout_tasks"
    package.mkdir(parents=True)
    (destination / "pyproject.toml").write_text(TASKS_PYPROJECT)
    (package / "__init__.py").write_text("")
    (package / "verifier.py").write_text(VERIFIER)
    (package / "hidden_tests.py").write_text(HIDDEN_TESTS.format(word=word))
    return destination


def _open_to_all(path: Path) -> None:
    """The folders on the way searchable by anyone, as a system interpreter's are."""
    for folder in [path, *path.parents]:
        if folder == Path("/"):
            break
        folder.chmod(folder.stat().st_mode | 0o005)


@pytest.fixture(scope="session")
def layouts(tmp_path_factory):
    """name -> how to run that layout's driver (or why it cannot be built here)."""
    if not (CHECKOUT / "pyproject.toml").is_file():
        pytest.skip("the layout tests install Ripeness from a checkout")
    if not (importlib.util.find_spec("pip") and importlib.util.find_spec("setuptools")):
        pytest.skip("the layout tests need pip and setuptools in the running environment")
    cache = tmp_path_factory.mktemp("layouts")
    _open_to_all(cache)
    word = "PLUM-" + secrets.token_hex(6).upper()
    wheels, venv = cache / "wheels", cache / "venv"
    project, tasks = _project_copy(cache / "project"), _tasks_project(cache / "tasks", word)
    builds = [  # side by side: the two wheels, the virtualenv, the editable installs
        [*PIP, "wheel", *OFFLINE, "-w", str(wheels), str(project), str(tasks)],
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
    ]
    unpack: list[tuple[str, str]] = []  # (wheel, folder): pip install --target, by hand
    pth: dict[str, tuple[Path, Path]] = {}  # layout -> (site folder, what its .pth adds)
    cleanup: list[Path] = []
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    venv_site = venv / "lib" / f"python{version}" / "site-packages"
    built: dict[str, dict] = {
        "venv": {
            "python": str(venv / "bin" / "python"),
            "ripeness_in": str(venv_site),
            "verifier_in": str(venv_site),
        }
    }
    pth["venv"] = (venv_site, venv / "extra")

    system_python = _static_system_python()
    if not system_python:
        why = "no statically linked system Python 3.11+ (/usr/bin/python3) to relocate"
        built["system"] = built["editable"] = built["debian"] = {"skip": why}
    else:
        # Debian's layout in a prefix of its own: pip's site folder for Ripeness, the
        # distribution's for the task package, and a .pth file adding a folder of the prefix
        python, sites = _interpreter_copy(system_python, cache / "system")
        built["system"] = {
            "python": python,
            "ripeness_in": sites[0],
            "verifier_in": sites[1 if len(sites) > 1 else 0],
            "bound": str((cache / "system").resolve()),
        }
        unpack += [("ripeness", sites[0]), ("tasks", built["system"]["verifier_in"])]
        pth["system"] = (Path(sites[0]), cache / "system" / "opt" / "extra")
        # editable installs whose source trees lie inside the prefix (not under PREFIX/src)
        python, sites = _interpreter_copy(system_python, cache / "editable")
        trees = _project_copy(cache / "editable" / "opt" / "checkouts" / "ripeness")
        user_tree = _tasks_project(cache / "editable" / "share" / "user-tasks", word)
        built["editable"] = {
            "python": python,
            "ripeness_in": str(trees / "src"),
            "verifier_in": str(user_tree),
            "bound": str((cache / "editable").resolve()),
        }
        builds.append(
            [
                *PIP,
                "install",
                *OFFLINE,
                "--target",
                sites[0],
                "-e",
                str(trees),
                "-e",
                str(user_tree),
            ]
        )
        # the real Debian folders of /usr/bin/python3, in folders of unique names
        system_version = _output([system_python, "-I", "-c", VERSION])
        local = Path(f"/usr/local/lib/python{system_version}/dist-packages")
        distribution = Path("/usr/lib/python3/dist-packages")
        if not ROOT:
            built["debian"] = {"skip": "writing to /usr/local and /usr/lib needs root"}
        elif not (local.is_dir() and distribution.is_dir()):
            built["debian"] = {"skip": f"no {local} and {distribution} here"}
        else:
            name = f"ripeness-layout-test-{secrets.token_hex(4)}"
            mine, theirs = local / name, distribution / name
            cleanup += [mine, theirs]
            built["debian"] = {
                "python": system_python,
                "site_dirs": [str(mine), str(theirs)],
                "ripeness_in": str(mine),
                "verifier_in": str(theirs),
                "bound": "/usr",
            }
            unpack += [("ripeness", str(mine)), ("tasks", str(theirs))]
            pth["debian"] = (mine, mine / "extra")
    try:
        _run_all(builds, cwd=cache)
        wheel = {
            "ripeness": next(wheels.glob("ripeness-*.whl")),
            "tasks": next(wheels.glob("ripeness_layout_tasks-*.whl")),
        }
        # --ignore-installed: with --prefix alone pip uninstalls the running environment's own
        # ripeness first (it looks there for an installed copy), which breaks the test session
        into_venv = [*PIP, "install", *OFFLINE, "--ignore-installed", "--prefix", str(venv)]
        into_venv += map(str, wheel.values())
        installing = subprocess.Popen(into_venv, cwd=cache, stdout=subprocess.PIPE, text=True)
        for which, folder in unpack:  # meanwhile: a pure wheel installs by unpacking it
            with zipfile.ZipFile(wheel[which]) as archive:
                archive.extractall(folder)
        assert installing.wait(timeout=300) == 0, installing.stdout.read()
        for layout, (site_folder, extra) in pth.items():
            extra.mkdir(parents=True, exist_ok=True)
            (extra / "layout_extra.py").write_text(f"WORD = {word!r}\n")
            (site_folder / "ripeness_layout_extra.pth").write_text(f"{extra}\n")
            built[layout]["known"] = {"module a .pth adds": str(extra / "layout_extra.py")}
        yield {"layouts": built, "cache": cache, "results": {}}
    finally:
        for path in cleanup:
            shutil.rmtree(path, ignore_errors=True)


def _drive(layouts: dict, name: str) -> dict:
    """The driver's report for one layout (run once, for all variants)."""
    if name in layouts["results"]:
        return layouts["results"][name]
    layout = layouts["layouts"][name]
    if "skip" in layout:
        pytest.skip(layout["skip"])
    config = {
        "site_dirs": layout.get("site_dirs", []),
        "known": layout.get("known", {}),
        "hunts": {hunt: code for hunt, (code, _, _) in SOURCE_HUNTS.items()},
        "hunts_on_host": HOST_HUNTS,
        "variants": VARIANTS,
    }
    folder = layouts["cache"] / f"run-{name}"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [layout["python"], str(DRIVER), str(folder / "config.json")],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    layouts["results"][name] = json.loads(done.stdout.splitlines()[-1])
    return layouts["results"][name]


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", LAYOUTS)
def test_installed_sources_stay_out_of_the_sandbox(layouts, name, variant):
    if VARIANTS[variant][runner.BWRAP_SWITCH] == "1" and runner.bubblewrap() is None:
        pytest.fail("bubblewrap is not usable here: `make setup` installs it (bubblewrap)")
    report = _drive(layouts, name)
    layout = layouts["layouts"][name]
    # Ripeness and the user's task package came from where the layout put them ...
    assert report["ripeness"].startswith(os.path.realpath(layout["ripeness_in"]) + "/")
    assert report["verifier"].startswith(os.path.realpath(layout["verifier_in"]) + "/")
    if "bound" in layout:  # ... inside a tree that bubblewrap binds into the sandbox
        for path in report["known"].values():
            assert os.path.realpath(path).startswith(layout["bound"] + "/"), path
    # outside the sandbox, every hunt finds what it looks for
    host = report["host"]
    assert host["code_hunt_works"] and host["user_hunt_works"]
    assert sorted(host["probe"]["read"]) == sorted(report["known"]), host["probe"]
    assert len(host["probe"]["listed"]) >= 2 and len(host["probe"]["imported"]) == 3
    assert all(host["hunts"].values()), host["hunts"]

    run = report["variants"][variant]
    assert ("bubblewrap" in run["isolation"].split(";")[0]) == (variant != "no bubblewrap")
    assert run["layers"]["audit_hook"] == (variant != "bubblewrap, no audit hook")
    # gold pays the right solutions and nothing for the hunts ...
    assert run["code_gold"] == [0.0, 1.0], run["code_reasons"]
    assert run["user_gold"] == [False, True], run["user_reasons"]
    # ... because from inside, nothing installed can be read, listed or imported
    assert run["probe"] == {"read": [], "listed": [], "imported": []}, run["probe_output"]
    paid = {hunt: r for hunt, r in run["hunts"].items() if r["passed"]}
    assert not paid, paid
