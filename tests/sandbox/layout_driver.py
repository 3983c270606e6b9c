"""Run by ``test_sandbox_layouts.py`` with one layout's own interpreter, ``ripeness`` and the
user's task package imported from wherever that layout installed them (never this checkout).

It runs in the sandbox: the code family's gold on a solution that hunts for Ripeness's
reference solutions (and on the reference, which must pass), the user family's gold on a
solution that hunts for its hidden tests and verifier (and on the right one), a probe that
tries to read, list and import the installed files by their exact paths, and the corpus's hunts
for installed sources. The same hunts and probe run here, outside the sandbox, to show they
find what they look for. One JSON object goes to stdout.

Usage: python layout_driver.py CONFIG.json, where the JSON holds ``site_dirs`` (folders to add
with ``site.addsitedir``), ``known`` (more files to try to read), ``hunts`` (name -> solution,
``{source}`` still to fill in), ``hunts_on_host`` (those to try here too) and ``variants``
(name -> the environment switches of one way to run the sandbox).
"""

import ast
import contextlib
import glob
import io
import json
import os
import site
import sys

CODE_HUNT = """
import ast, glob, os, sys

KNOWN = {known}
NAME = {name!r}


def _places():
    roots = set(sys.path) | {{sys.prefix, sys.base_prefix, sys.exec_prefix}}
    try:
        import site

        roots |= set(site.getsitepackages()) | {{site.getusersitepackages()}}
    except Exception:
        pass
    places = list(KNOWN)
    for root in sorted(r for r in roots if r):
        for depth in range(4):
            parts = ["*"] * depth + ["ripeness", "tasks", "code.py"]
            places += glob.glob(os.path.join(root, *parts))
    return places


def _reference():
    try:
        sys.path.extend(KNOWN_FOLDERS)
        from ripeness.tasks.code import SPECS

        return next(s.reference for s in SPECS if s.name == NAME)
    except Exception:
        pass
    for place in _places():
        try:
            with open(place) as handle:
                tree = ast.parse(handle.read())
        except Exception:
            continue
        for node in ast.walk(tree):
            text = getattr(node, "value", None)
            if isinstance(text, str) and text.startswith("def " + NAME + "("):
                return text
    return None


KNOWN_FOLDERS = {folders}
_SOURCE = _reference()
_NAMESPACE = {{}}
if _SOURCE:
    exec(_SOURCE, _NAMESPACE)


def {name}(*args):
    return _NAMESPACE[NAME](*args) if NAME in _NAMESPACE else None
"""

USER_HUNT = """
import glob, os, re, sys

KNOWN = {known}


def _word():
    try:
        sys.path.extend({folders})
        from ripeness_layout_tasks.hidden_tests import WORD

        return WORD
    except Exception:
        pass
    places = list(KNOWN)
    for root in sorted(set(sys.path) | {{sys.prefix, sys.base_prefix}}):
        for name in ("hidden_tests.py", "verifier.py"):
            places += glob.glob(os.path.join(root, "*", name))
            places += glob.glob(os.path.join(root, "*", "*", name))
    for place in places:
        try:
            with open(place) as handle:
                found = re.search(r'WORD = "([^"]+)"', handle.read())
        except Exception:
            continue
        if found:
            return found.group(1)
    return ""


WORD = _word()


def secret_word(n):
    return WORD * n
"""

PROBE = """
import json, os, sys

KNOWN = {known}
FOLDERS = {folders}
report = {{"read": [], "listed": [], "imported": []}}
for name, path in sorted(KNOWN.items()):
    try:
        with open(path, "rb") as handle:
            handle.read(1)
        report["read"].append(name)
    except Exception:
        pass
for name, folder in sorted(FOLDERS.items()):
    try:
        if os.listdir(folder):
            report["listed"].append(name)
    except Exception:
        pass
sys.path.extend(FOLDERS.values())
for module in ("ripeness", "ripeness.tasks.code", "ripeness_layout_tasks.hidden_tests"):
    try:
        __import__(module)
        report["imported"].append(module)
    except BaseException:
        pass
print("PROBE " + json.dumps(report))


def add(a, b):
    return None
"""


def first_file(folder):
    """Some file of an installed package in ``folder``, or None."""
    for path in sorted(glob.glob(os.path.join(folder, "*", "__init__.py"))):
        if "ripeness" not in path:
            return path
    return None


def probe_report(output):
    line = next((x for x in output.splitlines() if x.startswith("PROBE ")), None)
    return json.loads(line[len("PROBE ") :]) if line else None


def on_host(source):
    """Run a solution here, outside the sandbox: its namespace and what it printed."""
    namespace = {"__name__": "solution"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(source, "solution.py", "exec"), namespace)
    return namespace, printed.getvalue()


def main():
    with open(sys.argv[1]) as handle:
        config = json.load(handle)
    for folder in config.get("site_dirs", []):
        site.addsitedir(folder)
    import ripeness
    import ripeness.tasks.code as code_module
    from ripeness.sandbox.runner import Limits, describe_isolation, run_many
    from ripeness.tasks.base import parse_metadata
    from ripeness.tasks.registry import get_family

    tasks = get_family("layouttask")  # the user's family, through its entry point
    import ripeness_layout_tasks.hidden_tests as hidden
    import ripeness_layout_tasks.verifier as verifier

    package = os.path.dirname(os.path.realpath(ripeness.__file__))
    user_package = os.path.dirname(os.path.realpath(hidden.__file__))
    known = {
        "ripeness/tasks/code.py": code_module.__file__,
        "ripeness/__init__.py": ripeness.__file__,
        "hidden tests": hidden.__file__,
        "verifier": verifier.__file__,
    }
    known.update(config.get("known", {}))
    folders = {"ripeness's folder": os.path.dirname(package), "task package": user_package}
    site_folders = sorted(set(site.getsitepackages()) | set(config.get("site_dirs", [])))
    pth = sorted(p for d in site_folders for p in glob.glob(os.path.join(d, "*.pth")))
    pth = [p for p in pth if "ripeness" in os.path.basename(p)]
    if pth:
        known[".pth"] = pth[0]
    for folder in site.getsitepackages([sys.base_prefix]) + site_folders:
        found = first_file(folder)
        if found:
            known["a package of the base site folder"] = found
            folders["the base site folder"] = folder
            break

    limits = Limits(cpu_seconds=2, wall_seconds=8, memory_mb=256, file_size_kb=256)
    code = get_family("code")
    item = code.generate(1, seed=0, difficulties=[1])[0]
    metadata = parse_metadata(item.columns()["metadata"])
    name = metadata["function"]
    paths = sorted(known.values())
    code_hunt = CODE_HUNT.format(known=paths, name=name, folders=sorted(folders.values()))
    user_hunt = USER_HUNT.format(known=paths, folders=sorted(folders.values()))
    right_word = f"def secret_word(n):\n    return {hidden.WORD!r} * n\n"
    probe = PROBE.format(known=known, folders=folders)
    hunts = {k: v.replace("{source}", package) for k, v in config["hunts"].items()}

    gold = code.rewards["hidden_tests"]
    prompt, answer, columns = item.columns()["prompt"], item.answer, item.columns()["metadata"]
    cases = [("(1, 2)", "3"), ("(2, 2)", "4")]
    jobs = [{"files": {"solution.py": probe}, "function": "add", "cases": cases}]
    jobs += [
        {"files": {"solution.py": s}, "function": "add", "cases": cases, "limits": limits}
        for s in hunts.values()
    ]
    variants = {}
    for variant, switches in config["variants"].items():
        os.environ.update(switches)
        code_scores = gold(
            [prompt, prompt],
            [code_hunt, code.reference_completion(item)],
            answer=[answer, answer],
            metadata=[columns, columns],
        )
        user = [tasks.gold(user_hunt), tasks.gold(right_word)]
        results = run_many(jobs, workers=2)
        variants[variant] = {
            "isolation": describe_isolation(),
            "layers": results[0].isolation,
            "code_gold": code_scores,
            "code_reasons": [r.result.reason for r in gold.last_runs],
            "user_gold": [r.passed for r in user],
            "user_reasons": [r.reason for r in user],
            "probe": probe_report(results[0].output),
            "probe_output": results[0].output[-1500:] + results[0].reason,
            "hunts": {
                hunt: {
                    "passed": r.passed,
                    "status": r.status,
                    "reason": r.reason[:300],
                    "seconds": round(r.seconds, 2),
                }
                for hunt, r in zip(hunts, results[1:], strict=True)
            },
        }

    # the same code here, outside the sandbox: it finds what it looks for
    namespace, _ = on_host(code_hunt)
    calls = [(ast.literal_eval(a), ast.literal_eval(e)) for a, e in metadata["gold_cases"]]
    code_hunt_works = all(namespace[name](*a) == e for a, e in calls)
    namespace, _ = on_host(user_hunt)
    user_hunt_works = namespace["secret_word"](1) == hidden.WORD
    host_probe = probe_report(on_host(probe)[1])
    hunts_on_host = {}
    for hunt in config.get("hunts_on_host", []):
        namespace, _ = on_host(hunts[hunt])
        hunts_on_host[hunt] = bool(namespace["FOUND"])

    print(
        json.dumps(
            {
                "ripeness": os.path.realpath(ripeness.__file__),
                "verifier": os.path.realpath(verifier.__file__),
                "known": known,
                "base_prefix": os.path.realpath(sys.base_prefix),
                "variants": variants,
                "host": {
                    "code_hunt_works": code_hunt_works,
                    "user_hunt_works": user_hunt_works,
                    "probe": host_probe,
                    "hunts": hunts_on_host,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
