"""Case sets: the stored file format, the shipped public set and when it is rebuilt."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from grader.assignment import PUBLIC_CASES_FILE, load_assignment
from grader.cases import (
    CASE_FILE_FORMAT,
    Case,
    CaseSet,
    Mistake,
    _build,
    load_case_set,
    public_recipe,
    save_public_cases,
)
from grader.errors import AssignmentError

ASSIGNMENT = load_assignment()
#: How closely a rebuilt case set's answers must match the stored ones, relative to each
#: array's largest magnitude. The inputs are drawn bit-exactly (the generator and correctly
#: rounded sums, see reference.instances) and must match exactly; the expected and wrong
#: answers come from BLAS matrix products, whose summation order varies with the CPU and the
#: BLAS build (2.5e-13 apart on one machine). 1e-10 is what can be promised, and it is six
#: orders of magnitude under the grading tolerance (1e-4), so it cannot change a verdict.
REBUILT_ANSWERS_RTOL = 1e-10


def assert_same(a: CaseSet, b: CaseSet) -> None:
    assert (a.assignment, a.kind, a.mistakes) == (b.assignment, b.kind, b.mistakes)
    assert [c.index for c in a.cases] == [c.index for c in b.cases]
    for x, y in zip(a.cases, b.cases, strict=True):
        assert (x.kind, x.sizes) == (y.kind, y.sizes)
        assert x.inputs.keys() == y.inputs.keys()
        for k in y.inputs:
            assert type(x.inputs[k]) is type(y.inputs[k]), (x.index, k)
            assert np.array_equal(x.inputs[k], y.inputs[k]), (x.index, k)
        for group_x, group_y in [(x.expected, y.expected), *[
            (x.wrong[p], y.wrong[p]) for p in y.wrong
        ]]:  # fmt: skip
            assert group_x.keys() == group_y.keys()
            for k in group_y:
                assert group_x[k].dtype == group_y[k].dtype and group_x[k].shape == group_y[k].shape
                scale = float(np.max(np.abs(group_y[k]), initial=0.0))
                np.testing.assert_allclose(
                    group_x[k], group_y[k], rtol=0, atol=REBUILT_ANSWERS_RTOL * scale
                )


def test_the_shipped_public_case_set_is_the_one_the_seed_builds() -> None:
    # Stale after a change to the reference or to assignment.toml: run `python -m
    # reference.provider` to rewrite it.
    path = ASSIGNMENT.public_cases_path
    assert path.is_file(), f"{path} is missing: run python -m reference.provider"
    stored, recipe = CaseSet.load_with_recipe(path)
    assert recipe == public_recipe(ASSIGNMENT)
    assert_same(stored, _build(ASSIGNMENT, "public", ASSIGNMENT.cases.public_seed))


def test_a_stored_set_round_trips_odd_dtypes_and_shapes(tmp_path: Path) -> None:
    odd = Case(
        index=7,
        kind="edge",
        sizes={"n": 0, "l": 3},
        inputs={
            "flag": True,  # a Python scalar comes back as one
            "count": 3,
            "ints": np.arange(6, dtype=np.int32).reshape(2, 3),
            "empty": np.zeros((0, 4)),
            "col": np.asfortranarray(np.arange(6.0).reshape(3, 2)),  # stored in C order
        },
        expected={"x": np.float64(2.5) * np.ones(()), "mask": np.array([True, False])},
        wrong={"x": {"sign": np.array([-2.5])}},
    )
    original = CaseSet("demo", "hidden", (odd,), (Mistake("sign", ("x",), {"en": "a", "zh": "b"}),))
    original.save(tmp_path / "set.npz", recipe={"seed": 1})
    loaded, recipe = CaseSet.load_with_recipe(tmp_path / "set.npz")
    assert recipe == {"seed": 1}
    assert_same(loaded, original)
    assert loaded.cases[0].expected["x"].shape == ()
    with pytest.raises(ValueError, match="read-only"):
        loaded.cases[0].expected["mask"][0] = False  # a shared case set cannot be altered


def test_a_changed_seed_rebuilds_instead_of_using_the_stale_file(tmp_path: Path) -> None:
    folder = tmp_path / "assignment"
    shutil.copytree(ASSIGNMENT.root, folder, ignore=shutil.ignore_patterns("__pycache__"))
    toml = folder / "assignment.toml"
    seed = ASSIGNMENT.cases.public_seed
    toml.write_text(toml.read_text().replace(f"public_seed = {seed}", f"public_seed = {seed + 1}"))
    changed = load_assignment(folder)
    assert changed.cases.public_seed == seed + 1
    rebuilt = load_case_set(changed, "public")
    fresh = _build(changed, "public", seed + 1)
    assert_same(rebuilt, fresh)
    shipped = load_case_set(ASSIGNMENT, "public")
    assert not np.array_equal(rebuilt.cases[-1].inputs["W"], shipped.cases[-1].inputs["W"])
    # Rewriting it makes the stored file current again.
    save_public_cases(changed)
    assert CaseSet.load_with_recipe(folder / PUBLIC_CASES_FILE)[1] == public_recipe(changed)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"not a zip file", "cannot be read", id="garbage"),
        pytest.param(None, "another version of the grader", id="old-format"),
        pytest.param(b"PK\x03\x04" + b"\0" * 40, "cannot be read", id="truncated-zip"),
    ],
)
def test_an_unreadable_case_file_is_a_clear_error(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "cases.npz"
    if content is None:  # the layout before format 2: one member per array
        np.savez(path, meta=np.frombuffer(b'{"cases": []}', dtype=np.uint8), **{"0/inputs/W": 1})
    else:
        path.write_bytes(content)
    with pytest.raises(AssignmentError, match=expected) as info:
        CaseSet.load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "ref",
    [
        pytest.param(["|O", [3], 0], id="object-dtype"),
        pytest.param(["<U4", [3], 0], id="string-dtype"),
        pytest.param(["<f8", [4], 0], id="past-the-end"),
        pytest.param(["<f8", [1], -8], id="negative-offset"),
    ],
)
def test_a_malformed_array_entry_is_refused(tmp_path: Path, ref: list[object]) -> None:
    case = {"index": 0, "kind": "edge", "sizes": {}, "inputs": {"a": ref}, "expected": {},
            "wrong": {}}  # fmt: skip
    meta = {"format": CASE_FILE_FORMAT, "assignment": "demo", "kind": "public", "recipe": None,
            "mistakes": [], "cases": [case]}  # fmt: skip
    path = tmp_path / "cases.npz"
    np.savez(
        path,
        meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        blob=np.zeros(24, dtype=np.uint8),
    )
    with pytest.raises(AssignmentError, match="cannot be read"):
        CaseSet.load(path)


def test_an_edit_to_the_provider_code_or_the_parts_makes_the_stored_set_stale(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "assignment"
    shutil.copytree(ASSIGNMENT.root, folder, ignore=shutil.ignore_patterns("__pycache__"))
    copy = load_assignment(folder)
    assert public_recipe(copy) == public_recipe(ASSIGNMENT)  # the same provider package
    fewer_parts = copy.model_copy(update={"parts": copy.parts[:-1]})
    assert public_recipe(fewer_parts) != public_recipe(copy)
    other_code = copy.model_copy(update={"provider": "grader.cases"})  # another package
    assert public_recipe(other_code)["provider_code"] != public_recipe(copy)["provider_code"]


def test_an_unreadable_stored_set_is_rebuilt_when_the_provider_is_there(tmp_path: Path) -> None:
    folder = tmp_path / "assignment"
    shutil.copytree(ASSIGNMENT.root, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / PUBLIC_CASES_FILE).write_bytes(b"damaged")
    copy = load_assignment(folder)
    assert_same(load_case_set(copy, "public"), load_case_set(ASSIGNMENT, "public"))
    # Without a provider (a student copy) the stored set is all there is: a clear error.
    student = copy.model_copy(update={"provider": None})
    with pytest.raises(AssignmentError, match="damaged"):
        load_case_set(student, "public")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        pytest.param("text", "<U4", id="string"),
        pytest.param(None, "object", id="none"),  # would store a pointer
        pytest.param(2**70, "object", id="huge-int"),
    ],
)
def test_saving_refuses_what_cannot_be_stored(value: object, kind: str, tmp_path: Path) -> None:
    case = Case(3, "edge", {}, {"bad": value}, {})
    with pytest.raises(AssignmentError, match=rf"case 3: input bad .*{kind}"):
        CaseSet("demo", "public", (case,)).save(tmp_path / "set.npz")
    assert not (tmp_path / "set.npz").exists()


def test_complex_values_round_trip(tmp_path: Path) -> None:
    case = Case(0, "edge", {}, {"z": np.array([1 + 2j])}, {"z": np.array([3 - 1j])})
    CaseSet("demo", "public", (case,)).save(tmp_path / "set.npz")
    assert_same(CaseSet.load(tmp_path / "set.npz"), CaseSet("demo", "public", (case,)))
