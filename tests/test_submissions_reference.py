"""The example submissions agree with the reference, checked without the grader.

Every ``submissions/correct_*.py`` must match the reference gradients on every part it defines,
and every ``submissions/mistake_<id>.py`` must give exactly the catalogued wrong answer of
``<id>`` on that mistake's parts and the right answer on all the others (but for the parts
where ``mistake_support.ALSO_MAKES`` says it makes an earlier entry's mistake too). The grader
will later be tested against these same files, so they must first be known to be what their
names say.

Each file is loaded with importlib and its functions are called the way the submission contract
describes: arguments by parameter name, ``dL_dh`` once per t when it takes ``t``.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from mistake_support import ALSO_MAKES

from reference.instances import Instance, instances
from reference.mistakes import CATALOGUE, CaseInputs, wrong_answers
from reference.model import Array

SUBMISSIONS = Path(__file__).resolve().parent.parent / "submissions"

#: Part name -> the function a submission defines for it.
FUNCTIONS: dict[str, str] = {
    "y_pred": "dL_dy_pred",
    "d": "dL_dd",
    "V": "dL_dV",
    "h": "dL_dh",
    "W": "dL_dW",
    "U": "dL_dU",
    "b": "dL_db",
}
ALL_PARTS: tuple[str, ...] = tuple(FUNCTIONS)
REQUIRED_PARTS: tuple[str, ...] = ("y_pred", "d", "V", "h", "W")
#: The names a submitted function may take as parameters (``t`` only in ``dL_dh``).
ARGUMENT_NAMES = frozenset({"W", "U", "b", "V", "d", "x", "h", "y_pred", "y_gt", "n", "l"})
STEP_PARAMETER = "t"

SEED = 20261201
RANDOM_COUNT = 4
#: The edge cases first, then RANDOM_COUNT random ones; generation takes milliseconds.
CASES: tuple[Instance, ...] = tuple(instances(SEED, RANDOM_COUNT))
CASE_PARAMS = [
    pytest.param(case, id=f"{case.kind}{case.index}-n{case.inputs.n}-l{case.inputs.l}")
    for case in CASES
]

CORRECT_SUBMISSIONS = [
    pytest.param("correct_loops", ALL_PARTS, id="loops"),  # per-t dL_dh, Python loops
    pytest.param("correct_vectorized", ALL_PARTS, id="vectorized"),  # column vectors, (n, 1)
    pytest.param("correct_kronecker", ALL_PARTS, id="kronecker"),  # literal I_n ⊗ hᵀ, 1×n² rows
    pytest.param("correct_float32", ALL_PARTS, id="float32"),  # computed in float32 throughout
    pytest.param("correct_partial", REQUIRED_PARTS, id="partial"),  # no bonus parts
]
MISTAKE_PARTS: dict[str, tuple[str, ...]] = {m.id: m.parts for m in CATALOGUE}
# One file per catalogued mistake, each defining all seven functions.
MISTAKE_IDS = [pytest.param(mistake_id, id=mistake_id) for mistake_id in MISTAKE_PARTS]


# -- loading and calling a submission ---------------------------------------------------------


@cache
def load(name: str) -> ModuleType:
    """Import ``submissions/<name>.py`` under a private module name (cached: import once)."""
    path = SUBMISSIONS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_submission_{name}", path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def arguments(c: CaseInputs) -> dict[str, Any]:
    """Every argument of the contract; arrays are copied so that a submission writing into its
    inputs cannot change the cached cases seen by later tests."""
    return {
        "W": c.W.copy(), "U": c.U.copy(), "b": c.b.copy(), "V": c.V.copy(), "d": c.d,
        "x": c.x.copy(), "h": c.h.copy(), "y_pred": c.y_pred, "y_gt": c.y_gt,
        "n": c.n, "l": c.l,
    }  # fmt: skip


def call(fn: Callable[..., Any], c: CaseInputs, **step: int) -> Any:
    """Call ``fn`` with just the arguments its parameters name."""
    available = arguments(c) | step
    names = list(inspect.signature(fn).parameters)
    unknown = [name for name in names if name not in available]
    assert not unknown, f"{fn.__name__} asks for unknown parameters {unknown}"
    return fn(**{name: available[name] for name in names})


def normalise(part: str, value: Any, n: int, l: int) -> Array:
    """The answer as float64 in the reference's shape, accepting exactly the contract's shapes."""
    a = np.asarray(value, dtype=np.float64)
    if part in ("y_pred", "d"):
        allowed: set[tuple[int, ...]] = {(), (1,), (1, 1)}
        target: tuple[int, ...] = ()
    elif part in ("V", "b"):
        allowed, target = {(n,), (1, n), (n, 1)}, (n,)
    elif part == "h":
        allowed, target = {(l, n)}, (l, n)
    else:  # W, U: n×n, or the model solution's 1×n² row (flattened row by row)
        allowed, target = {(n, n), (1, n * n)}, (n, n)
    assert a.shape in allowed, f"part {part}: shape {a.shape} is not one of {sorted(allowed)}"
    return a.reshape(target)  # row-major, as the contract's 1×n² row is


def answer(module: ModuleType, part: str, c: CaseInputs) -> Array | None:
    """The submission's answer for one part, or None when it does not define that part."""
    fn = getattr(module, FUNCTIONS[part], None)
    if fn is None:
        return None
    if part == "h" and STEP_PARAMETER in inspect.signature(fn).parameters:
        rows = [
            normalise("V", call(fn, c, t=t), c.n, c.l)  # each row is an n-vector, like V
            for t in range(1, c.l + 1)
        ]
        return np.stack(rows)
    return normalise(part, call(fn, c), c.n, c.l)


def assert_close(got: Array, ref: Array, what: str) -> None:
    """The grader's rule: |A − R| ≤ 1e-4·max|R| + 1e-4·|R| elementwise."""
    atol = 1e-4 * float(np.max(np.abs(ref), initial=0.0))
    assert np.allclose(got, ref, rtol=1e-4, atol=atol), (
        f"{what}: max |A − R| = {np.max(np.abs(got - ref)):.3g}, max |R| = {atol / 1e-4:.3g}"
    )


def submission_files() -> list[Path]:
    return sorted(SUBMISSIONS.glob("*.py"))


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "parts"), CORRECT_SUBMISSIONS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_correct_submission_matches_reference(
    name: str, parts: tuple[str, ...], case: Instance
) -> None:
    module = load(name)
    expected = case.expected.as_dict()
    defined = tuple(part for part in ALL_PARTS if hasattr(module, FUNCTIONS[part]))
    assert defined == parts
    for part in parts:
        got = answer(module, part, case.inputs)
        assert got is not None
        assert_close(got, expected[part], f"{name}, part {part}")


@pytest.mark.parametrize("mistake_id", MISTAKE_IDS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_mistake_submission_makes_exactly_its_mistake(mistake_id: str, case: Instance) -> None:
    module = load(f"mistake_{mistake_id}")
    expected = case.expected.as_dict()
    wrong = wrong_answers(case.inputs)
    mistake_parts = MISTAKE_PARTS[mistake_id]
    also = ALSO_MAKES.get(mistake_id, {})
    for part in ALL_PARTS:
        got = answer(module, part, case.inputs)
        assert got is not None, f"mistake_{mistake_id} does not define {FUNCTIONS[part]}"
        made = mistake_id if part in mistake_parts else also.get(part)
        if made is None:
            assert_close(got, expected[part], f"mistake_{mistake_id}, part {part} (correct)")
        elif case.kind == "random":
            # Edge cases are not built to tell mistakes apart: there a wrong answer may equal
            # the right one (∂L/∂W is 0 when l = 1), so the mistake is checked on random ones.
            assert_close(got, wrong[part][made], f"mistake_{mistake_id}, part {part} ({made})")


def test_also_makes_names_earlier_entries_on_other_parts() -> None:
    order = list(MISTAKE_PARTS)
    for mistake_id, parts in ALSO_MAKES.items():
        for part, earlier in parts.items():
            assert part not in MISTAKE_PARTS[mistake_id] and part in MISTAKE_PARTS[earlier]
            assert order.index(earlier) < order.index(mistake_id), (mistake_id, earlier)


def test_every_catalogued_mistake_has_one_submission() -> None:
    on_disk = {p.stem.removeprefix("mistake_") for p in SUBMISSIONS.glob("mistake_*.py")}
    assert on_disk == set(MISTAKE_PARTS)
    for mistake_id in MISTAKE_PARTS:
        header = (SUBMISSIONS / f"mistake_{mistake_id}.py").read_text("utf-8").splitlines()[0]
        assert header.startswith(f"# Mistake: {mistake_id} "), header


def test_float32_submission_answers_in_float32() -> None:
    module = load("correct_float32")
    case = next(case for case in CASES if case.kind == "random")
    for function in FUNCTIONS.values():
        value = call(getattr(module, function), case.inputs)
        assert np.asarray(value).dtype == np.float32, f"{function} returned {type(value)}"


def test_template_defines_every_function_unimplemented() -> None:
    module = load("template")
    case = CASES[0]
    for function in FUNCTIONS.values():
        fn = getattr(module, function)
        assert inspect.getdoc(fn), f"{function} has no docstring"
        step = {STEP_PARAMETER: 1} if STEP_PARAMETER in inspect.signature(fn).parameters else {}
        with pytest.raises(NotImplementedError):
            call(fn, case.inputs, **step)


@pytest.mark.parametrize("path", submission_files(), ids=lambda p: p.stem)
def test_submission_keeps_to_the_contract(path: Path) -> None:
    """Only the standard library and numpy, and only parameter names the grader can pass."""
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            assert top == "numpy" or top in sys.stdlib_module_names, f"imports {module}"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in FUNCTIONS.values():
            allowed = ARGUMENT_NAMES | ({STEP_PARAMETER} if node.name == "dL_dh" else set())
            names = {a.arg for a in node.args.args + node.args.kwonlyargs}
            assert names <= allowed, f"{node.name} takes {sorted(names - allowed)}"
