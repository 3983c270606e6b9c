"""The public API: every name in ``ripeness.__all__`` loads, and importing the package is light."""

import subprocess
import sys

import ripeness


def test_every_public_name_loads():
    for name in ripeness.__all__:
        assert getattr(ripeness, name) is not None, name
    assert ripeness.get_family("arithmetic").gold.kind == "gold"
    assert ripeness.Rate(3, 4).n == 4


def test_importing_ripeness_or_the_task_layer_does_not_import_torch():
    code = (
        "import sys, ripeness; from ripeness import get_family; get_family('arithmetic'); "
        "print('torch' in sys.modules, 'trl' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_readme_python_examples_import_only_from_the_public_api():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = readme.split("```python")[1:]
    assert blocks, "the README has Python examples"
    for block in blocks:
        code = block.split("```")[0]
        for line in code.splitlines():
            if line.startswith(("from ripeness", "import ripeness")):
                assert line.startswith(("from ripeness import", "import ripeness")), line
