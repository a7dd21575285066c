"""The import layers of ARCHITECTURE.md section 3, as the import-linter contract in pyproject.toml."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _lint_imports() -> str:
    beside_python = Path(sys.executable).parent / "lint-imports"
    found = str(beside_python) if beside_python.exists() else shutil.which("lint-imports")
    assert found, "import-linter is not installed (it is a dev dependency)"
    return found


def test_import_layers_are_kept():
    # --no-cache: a stale cache must never hide a new import, and the repo gets no cache dir.
    result = subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120
    )

    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "0 broken" in report


# Composition roots: they wire every app together, so they sit outside the layers by design.
OUTSIDE_THE_LAYERS = {"weloop.settings", "weloop.urls", "weloop.wsgi", "weloop.asgi"}


def _layered_modules() -> set[str]:
    config = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    names = set()
    for contract in config["tool"]["importlinter"]["contracts"]:
        for layer in contract.get("layers", []):
            for name in re.split(r"[|:]", layer):
                names.add(name.strip().strip("()"))
    return names


def _weloop_top_level_modules() -> set[str]:
    package = PROJECT_DIR / "weloop"
    packages = {f"weloop.{p.parent.name}" for p in package.glob("*/__init__.py")}
    modules = {f"weloop.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    return packages | modules


def test_every_app_is_placed_in_a_layer():
    # An app missing from the contract escapes every layer rule without anybody noticing.
    unplaced = _weloop_top_level_modules() - _layered_modules() - OUTSIDE_THE_LAYERS

    assert unplaced == set(), f"add these to [tool.importlinter] layers in pyproject.toml: {sorted(unplaced)}"
