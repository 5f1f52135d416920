"""What `make lab` shows a student: START-HERE first, every link working, no nbgrader.

The landing page lists every lesson and exercise in order; every relative
link in it, in the lessons and in the exercises points at a file that
exists; and the config dir `make lab` uses switches off each of nbgrader's
server and lab extensions (which `make test` installs into the same venv).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from installs import need

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "jupyter-config"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def markdown_links(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    return [target for target in LINK.findall(text) if "://" not in target]


def test_the_start_page_lists_every_lesson_and_exercise_in_lesson_order():
    links = markdown_links(ROOT / "START-HERE.ipynb")
    lessons = sorted(f"notebooks/{path.name}" for path in (ROOT / "notebooks").glob("*.ipynb"))
    exercises = [
        f"exercises/release/{path.name}" for path in (ROOT / "exercises/release").glob("*")
    ]
    assert [link for link in links if link.startswith("notebooks/")] == lessons
    assert sorted(link for link in links if link.startswith("exercises/")) == sorted(exercises)
    text = nbformat.read(ROOT / "START-HERE.ipynb", as_version=4).cells[0].source
    numbers = [int(n) for n in re.findall(r"\[Exercise (\d+):", text)]
    assert numbers == list(range(1, len(exercises) + 1))  # numbered in the order listed
    after = {
        "dual_numbers": "04",
        "wengert_list": "05",
        "value_class": "08",
        "softmax_jacobian": "10",
        "xor_mlp": "13",  # after the lesson that builds such a network, not before it
        "array_vjps": "16",
    }
    for exercise, lesson in after.items():  # each right under the lesson it practises
        index = links.index(f"exercises/release/{exercise}.ipynb")
        assert links[index - 1].startswith(f"notebooks/{lesson}_"), exercise
    # exercise 7 registers exercise 6's VJPs with the engine: it comes right after it
    index = links.index("exercises/release/custom_primitives.ipynb")
    assert links[index - 1] == "exercises/release/array_vjps.ipynb"


@pytest.mark.parametrize(
    "notebook",
    [
        "START-HERE.ipynb",
        *(f"notebooks/{p.name}" for p in sorted((ROOT / "notebooks").glob("*.ipynb"))),
        *(f"exercises/release/{p.name}" for p in sorted((ROOT / "exercises/release").glob("*"))),
    ],
)
def test_every_relative_link_points_at_a_file(notebook):
    path = ROOT / notebook
    for target in markdown_links(path):
        assert (path.parent / target.split("#")[0]).resolve().is_file(), f"{notebook}: {target}"


def test_lessons_link_the_exercises_that_practise_them():
    for lesson, exercise in [
        ("04_forward_mode", "dual_numbers"),
        ("05_reverse_mode", "wengert_list"),
        ("03_graphs_and_traces", "wengert_list"),
        ("13_xor_every_gradient", "xor_mlp"),
    ]:
        links = markdown_links(ROOT / "notebooks" / f"{lesson}.ipynb")
        assert f"../exercises/release/{exercise}.ipynb" in links, lesson


def test_make_lab_opens_the_start_page_with_its_own_config_dir():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.replace("\\\n", " ").split("\nlab:")[1].split("\n\n")[0]
    assert 'JUPYTER_CONFIG_DIR="$(CURDIR)/jupyter-config" $(BIN)/jupyter lab' in recipe
    assert '--LabApp.app_settings_dir="$(CURDIR)/jupyter-config/lab-settings"' in recipe
    assert recipe.rstrip().endswith("START-HERE.ipynb")
    # The URL jupyter prints (and / redirects to) opens the page, not the Launcher.
    assert "--LabApp.default_url=/lab/tree/START-HERE.ipynb" in recipe
    overrides = json.loads((CONFIG / "lab-settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_the_lab_config_switches_off_every_nbgrader_server_extension():
    theirs = Path(sysconfig.get_paths()["data"]) / "etc/jupyter/jupyter_server_config.d"
    enabled = json.loads((theirs / "nbgrader.json").read_text())["ServerApp"]["jpserver_extensions"]
    ours = json.loads((CONFIG / "jupyter_server_config.json").read_text())["ServerApp"]
    assert enabled and {name: False for name in enabled} == ours["jpserver_extensions"]


@pytest.mark.slow
def test_jupyter_lists_nbgrader_as_disabled_under_the_lab_config():
    need("nbgrader")
    jupyter = Path(sys.executable).parent / "jupyter"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(CONFIG)}
    done = subprocess.run(
        [str(jupyter), "labextension", "list"], capture_output=True, text=True, env=env
    )
    listing = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    assert re.search(r"@jupyter/nbgrader \S+ disabled", listing), listing
