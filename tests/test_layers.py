"""The layers hold: `zoombridge/` never imports `workers/`, and the pure domain loads alone.

Arrows point down only (README, "Architecture"): views and jobs call the service layer, which
calls the pure domain, the store and the queue. A module that breaks that fails here, by name.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "zoombridge"
# The command-line entry point starts workers and schedulers: the one place allowed to import them.
MAY_IMPORT_WORKERS = {PACKAGE / "cli.py"}

PURE_MODULES = [
    "zoombridge.attendance.intervals",
    "zoombridge.attendance.attended_time",
    "zoombridge.attendance.segments",
    "zoombridge.attendance.identity",
    "zoombridge.attendance.finality",
    "zoombridge.payments.policy",
    "zoombridge.payments.choices",
    "zoombridge.payments.tax_year",
    "zoombridge.payments.statement",
    "zoombridge.notify.messages",
    "zoombridge.sessions.ai_settings",
    "zoombridge.sessions.captions",
    "zoombridge.sessions.meeting",
    "zoombridge.sessions.meeting_state",
    "zoombridge.sessions.registration_form",
    "zoombridge.refusals",
    "zoombridge.phone_numbers",
    *sorted(f"zoombridge.planning.{path.stem}" for path in (PACKAGE / "planning").glob("*.py")
            if path.stem != "__init__"),
]
# What a pure module must not load: the web framework, the database layer, the queue.
FRAMEWORKS = ("flask", "werkzeug", "sqlalchemy", "alembic", "rq", "redis")


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_nothing_under_zoombridge_imports_workers_but_the_command_line():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted(PACKAGE.rglob("*.py")) if path not in MAY_IMPORT_WORKERS
        for line, module in _imported_modules(path)
        if module == "workers" or module.startswith("workers.")
    ]
    assert offenders == [], "zoombridge/ must not import workers/ (use zoombridge.queue):\n" + "\n".join(offenders)


def test_the_layer_check_sees_an_import_of_workers(tmp_path):
    """The check above reads imports the way they are written, nested ones included."""
    module = tmp_path / "sample.py"
    module.write_text("def f():\n    from workers.jobs import meetings\n    import workers.worker\n")
    assert [name for _line, name in _imported_modules(module)] == ["workers.jobs", "workers.worker"]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_loads_without_flask_sqlalchemy_or_rq(module):
    """In a fresh interpreter, so nothing this test run already imported can hide a dependency."""
    probe = (f"import importlib, json, sys; importlib.import_module({module!r}); "
             "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert module in loaded
    heavy = sorted(name for name in loaded if name.split(".")[0] in FRAMEWORKS)
    assert heavy == [], f"{module} loads {', '.join(heavy)}"


def test_importing_the_package_does_not_load_flask():
    done = subprocess.run([sys.executable, "-c", "import json, sys, zoombridge; print(json.dumps(sorted(sys.modules)))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "flask" not in json.loads(done.stdout)


def test_create_app_is_still_importable_from_the_package():
    from zoombridge import create_app
    from zoombridge.app import create_app as factory

    assert create_app is factory


def test_every_logger_is_named_after_its_module():
    """`getLogger(__name__)`: a log line's logger says which file wrote it."""
    typed = []
    for path in sorted([*PACKAGE.rglob("*.py"), *(ROOT / "workers").rglob("*.py")]):
        if path == PACKAGE / "logs.py":  # configures the roots (`zoombridge`, `workers`, `rq`)
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "getLogger"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                typed.append(f"{path.relative_to(ROOT)}:{node.lineno} getLogger({node.args[0].value!r})")
    assert typed == [], "\n".join(typed)
