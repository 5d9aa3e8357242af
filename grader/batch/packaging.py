"""What a package built from this installation needs: its requirements, derived, not listed.

The student copy (``grader bundle``) and the Gradescope autograder ship a subset of the
``grader`` package. Their dependencies are the project's own requirements (from its installed
metadata, with their version bounds) of the distributions that the shipped modules import, so
that they cannot drift from the code: a module that starts importing a new library brings its
requirement along.
"""

from __future__ import annotations

import ast
import re
from importlib import metadata
from pathlib import Path

from grader.errors import GraderError

DISTRIBUTION = "bptt-grader"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules(tree: Path) -> set[str]:
    """The top-level names of every module imported anywhere in the ``.py`` files under
    ``tree``, lazy imports inside functions included (relative imports left out)."""
    names: set[str] = set()
    for path in sorted(tree.rglob("*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(module):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def requirements_of(tree: Path) -> list[str]:
    """The project's requirements (with their bounds) that the code under ``tree`` imports."""
    try:
        declared = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        raise GraderError(
            f"{DISTRIBUTION} is not installed, so its requirements are unknown: install it "
            "(pip install -e .) and build again"
        ) from None
    providers = metadata.packages_distributions()
    used = {
        _normalized(dist)
        for module in imported_modules(tree)
        for dist in providers.get(module, [])
        if _normalized(dist) != DISTRIBUTION
    }
    kept = []
    for requirement in declared:
        match = _NAME.match(requirement)
        if match is None or "extra ==" in requirement.replace('"', "").replace("'", ""):
            continue  # an optional extra: never needed by what ships
        if _normalized(match.group(1)) in used:
            kept.append(requirement)
    return sorted(kept, key=str.lower)
