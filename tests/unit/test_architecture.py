"""Imports flow one way: newsmon.core at the bottom; connectors and pipeline never import each other;
``alerts`` (subscription queries and matching, shared by pipeline, API and delivery) sits below the
pipeline; only newsmon.cli / newsmon.services / newsmon.api sit on top. Checked statically over the
source tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> top-level modules it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "newsmon/core": ("alerts", "connectors", "pipeline", "newsmon.cli", "newsmon.services", "newsmon.api"),
    "connectors": ("alerts", "pipeline", "newsmon.cli", "newsmon.services"),
    "alerts": ("pipeline", "connectors", "apache_beam", "newsmon.cli", "newsmon.services", "newsmon.api"),
    "pipeline": ("connectors", "newsmon.cli", "newsmon.services"),
    "pipeline/tagging": ("apache_beam",),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_direction(package: str) -> None:
    base = ROOT / package
    if not base.exists():
        pytest.skip(f"{package} not present")
    violations = []
    for path in sorted(base.rglob("*.py")):
        for name in _imports(path):
            for banned in FORBIDDEN[package]:
                if name == banned or name.startswith(banned + "."):
                    violations.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not violations, "\n".join(violations)


def test_every_public_class_has_a_docstring() -> None:
    missing = []
    for package in ("newsmon", "connectors", "pipeline", "alerts"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                if (
                    isinstance(node, ast.ClassDef)
                    and not node.name.startswith("_")
                    and not ast.get_docstring(node)
                ):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not missing, "public classes without a docstring:\n" + "\n".join(missing)
