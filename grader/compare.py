"""Tolerant elementwise comparison of an answer with a float64 reference.

An element passes when |A − R| ≤ τ·max|R| + rtol·|R|. The absolute term is scaled by the
array's own magnitude because the gradients of this kind of homework span many orders of
magnitude from one case to the next: numpy's fixed default atol of 1e-8 would be far too loose
for a tiny gradient and meaningless for a large one. ``floor`` keeps the bound positive where
the reference is exactly zero (∂L/∂W when l = 1), so that only a non-zero answer fails there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field


class Tolerance(BaseModel):
    """The comparison tolerance of an assignment (see the module docstring for the rule)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tau: float = Field(1e-4, gt=0, description="absolute term, as a fraction of max|R|")
    rtol: float = Field(1e-4, ge=0, description="relative term, as a fraction of |R|")
    floor: float = Field(1e-12, gt=0, description="smallest max|R| the absolute term uses")


@dataclass(frozen=True)
class Discrepancy:
    """How far an answer is from the reference: the worst element and the largest errors."""

    ratio: float  # worst |A − R| / bound; ≤ 1 passes
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...]
    failing: NDArray[np.bool_]  # elementwise: True where the bound is exceeded

    @property
    def passed(self) -> bool:
        return bool(self.ratio <= 1.0)


def compare(
    answer: NDArray[np.floating], reference: NDArray[np.floating], tol: Tolerance
) -> Discrepancy:
    """Compare two arrays of the same shape; non-finite answer elements always fail."""
    a = np.asarray(answer, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    if a.shape != r.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {r.shape}")
    scale = max(float(np.max(np.abs(r), initial=0.0)), tol.floor)
    bound = tol.tau * scale + tol.rtol * np.abs(r)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - r)
        err = np.where(np.isfinite(a), err, np.inf)
        ratios = err / bound
        rel = err / np.maximum(np.abs(r), tol.floor)
    if a.size == 0:
        return Discrepancy(0.0, 0.0, 0.0, (), np.zeros(a.shape, dtype=bool))
    worst = np.unravel_index(int(np.argmax(ratios)), a.shape)
    return Discrepancy(
        ratio=float(ratios[worst]),
        max_abs_error=float(np.max(err)),
        max_rel_error=float(np.max(rel)),
        worst_index=tuple(int(i) for i in worst),
        failing=ratios > 1.0,
    )


def compare_many(
    answers: Sequence[NDArray[np.floating]],
    references: Sequence[NDArray[np.floating]],
    tol: Tolerance,
) -> list[Discrepancy]:
    """:func:`compare` for many (answer, reference) pairs at once, with the same results.

    Each pair keeps its own scale max|R|; the arithmetic runs once over all of them, which
    matters when a part has dozens of small cases (a call per numpy operation would dominate).
    """
    if not answers:
        return []
    if any(np.asarray(r).size == 0 for r in references):
        return [compare(a, r, tol) for a, r in zip(answers, references, strict=True)]
    shapes = [np.shape(r) for r in references]
    for a, shape in zip(answers, shapes, strict=True):
        if np.shape(a) != shape:
            raise ValueError(f"shapes differ: {np.shape(a)} vs {shape}")
    sizes = np.array([int(np.prod(s, dtype=np.int64)) for s in shapes])
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    a = np.concatenate([np.asarray(x, dtype=np.float64).ravel() for x in answers])
    r = np.concatenate([np.asarray(x, dtype=np.float64).ravel() for x in references])
    abs_r = np.abs(r)
    scale = np.maximum(np.maximum.reduceat(abs_r, starts), tol.floor)
    bound = tol.tau * np.repeat(scale, sizes) + tol.rtol * abs_r
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - r)
        err[~np.isfinite(a)] = np.inf
        ratios = err / bound
        rel = err / np.maximum(abs_r, tol.floor)
    worst_ratio = np.maximum.reduceat(ratios, starts)
    worst_err = np.maximum.reduceat(err, starts)
    worst_rel = np.maximum.reduceat(rel, starts)
    failing = ratios > 1.0
    out = []
    for i, (start, size, shape) in enumerate(zip(starts, sizes, shapes, strict=True)):
        seg = slice(int(start), int(start + size))
        worst = np.unravel_index(int(np.argmax(ratios[seg])), shape)
        out.append(
            Discrepancy(
                ratio=float(worst_ratio[i]),
                max_abs_error=float(worst_err[i]),
                max_rel_error=float(worst_rel[i]),
                worst_index=tuple(int(j) for j in worst),
                failing=failing[seg].reshape(shape),
            )
        )
    return out
