"""The catalogue of common wrong derivations, used to name a student's likely mistake.

Each entry computes the wrong answer for the parts it concerns, from a case's inputs, in the
same shapes as :class:`reference.model.Gradients`. The grader never imports this module: the
wrong answers are evaluated here, stored in the case set next to the expected answers, and
the grader compares a failed answer with each of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from reference.model import Array, backward


@dataclass(frozen=True)
class CaseInputs:
    """The inputs of one case, as the contract passes them (x and h are (l+1)×n)."""

    W: Array
    U: Array
    b: Array
    V: Array
    d: float
    x: Array
    h: Array
    y_pred: float
    y_gt: float

    @property
    def n(self) -> int:
        return int(self.h.shape[1])

    @property
    def l(self) -> int:  # noqa: E743 - the homework's own name for the sequence length
        return int(self.h.shape[0] - 1)

    @property
    def error(self) -> float:
        return self.y_pred - self.y_gt

    @property
    def masks(self) -> Array:
        return (self.h > 0).astype(np.float64)


@dataclass(frozen=True)
class Mistake:
    id: str
    parts: tuple[str, ...]
    en: str
    zh: str
    answer: Callable[[CaseInputs], dict[str, Array]]
    #: The text for a part whose formula is not the general text's: part -> (en, zh).
    by_part: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def _correct(c: CaseInputs) -> dict[str, Array]:
    return backward(c.W, c.V, c.x, c.h, c.y_pred, c.y_gt).as_dict()


def _dh_chain(c: CaseInputs, step: Callable[[Array, int], Array], start: Array) -> Array:
    """Rows g_l, g_{l−1}, …: g_l = start, g_t = step(g_{t+1}, t)."""
    dh = np.zeros((c.l, c.n))
    g = start
    dh[c.l - 1] = g
    for t in range(c.l - 1, 0, -1):
        g = step(g, t)
        dh[t - 1] = g
    return dh


def _W_from_delta(c: CaseInputs, delta: Array, prev: Array) -> Array:
    return delta.T @ prev


def _sign_flip(c: CaseInputs) -> dict[str, Array]:
    return {k: -v for k, v in _correct(c).items()}


def _dy_pred_is_dd(c: CaseInputs) -> dict[str, Array]:
    return {"y_pred": np.asarray(c.error)}


def _dd_is_dy_pred(c: CaseInputs) -> dict[str, Array]:
    return {"d": np.asarray(c.error / (c.y_pred * (1.0 - c.y_pred)))}


def _V_uses_h_prev(c: CaseInputs) -> dict[str, Array]:
    return {"V": c.error * c.h[c.l - 1]}


def _missing_relu_mask(c: CaseInputs) -> dict[str, Array]:
    dh = _dh_chain(c, lambda g, t: g @ c.W, c.error * c.V)
    correct_dh = _correct(c)["h"]
    return {"h": dh, "W": _W_from_delta(c, correct_dh, c.h[:-1])}


def _mask_off_by_one(c: CaseInputs) -> dict[str, Array]:
    m = c.masks
    return {"h": _dh_chain(c, lambda g, t: (g * m[t]) @ c.W, c.error * c.V)}


def _transposed_W(c: CaseInputs) -> dict[str, Array]:
    m = c.masks
    return {"h": _dh_chain(c, lambda g, t: (g * m[t + 1]) @ c.W.T, c.error * c.V)}


def _reversed_product(c: CaseInputs) -> dict[str, Array]:
    m = c.masks
    dh = np.zeros((c.l, c.n))
    for t in range(1, c.l + 1):
        row = c.error * c.V
        for i in range(t + 1, c.l + 1):  # ascending order of i: the wrong way round
            row = (row * m[i]) @ c.W
        dh[t - 1] = row
    return {"h": dh}


def _missing_error_factor(c: CaseInputs) -> dict[str, Array]:
    m = c.masks
    return {"h": _dh_chain(c, lambda g, t: (g * m[t + 1]) @ c.W, c.V.copy())}


def _delta(c: CaseInputs) -> Array:
    return _correct(c)["h"] * c.masks[1:]


def _uses_h_t(c: CaseInputs) -> dict[str, Array]:
    return {"W": _W_from_delta(c, _delta(c), c.h[1:])}


def _only_last_term(c: CaseInputs) -> dict[str, Array]:
    delta = _delta(c)
    return {"W": np.outer(delta[-1], c.h[c.l - 1])}


def _drops_last_term(c: CaseInputs) -> dict[str, Array]:
    delta = _delta(c)
    return {"W": delta[:-1].T @ c.h[: c.l - 1]}


def _transposed_result(c: CaseInputs) -> dict[str, Array]:
    correct = _correct(c)
    return {"W": correct["W"].T, "U": correct["U"].T}


CATALOGUE: tuple[Mistake, ...] = (
    Mistake(
        "sign_flip",
        ("y_pred", "d", "V", "h", "W", "U", "b"),
        "The answer is the negated gradient: check the sign of (y_pred − y_gt) and of the "
        "derivative of −log.",
        "结果恰好是梯度的相反数：检查 (y_pred − y_gt) 的符号以及 −log 求导时的负号。",
        _sign_flip,
    ),
    Mistake(
        "dy_pred_is_dd",
        ("y_pred",),
        "This is ∂L/∂d = y_pred − y_gt. ∂L/∂y_pred still has the sigmoid's derivative to "
        "divide out: (y_pred − y_gt) / (y_pred (1 − y_pred)).",
        "这是 ∂L/∂d = y_pred − y_gt。∂L/∂y_pred 还需除以 sigmoid 的导数："
        "(y_pred − y_gt) / (y_pred (1 − y_pred))。",
        _dy_pred_is_dd,
    ),
    Mistake(
        "dd_is_dy_pred",
        ("d",),
        "This is ∂L/∂y_pred. ∂L/∂d multiplies it by ∂y_pred/∂d = y_pred (1 − y_pred), which "
        "leaves y_pred − y_gt.",
        "这是 ∂L/∂y_pred。∂L/∂d 还要乘以 ∂y_pred/∂d = y_pred (1 − y_pred)，结果为 y_pred − y_gt。",
        _dd_is_dy_pred,
    ),
    Mistake(
        "V_uses_h_prev",
        ("V",),
        "This uses h_{l−1}. y_pred depends on V through V h_l: use the last hidden state h_l.",
        "这里用了 h_{l−1}。y_pred 通过 V h_l 依赖于 V：应使用最后一个隐状态 h_l。",
        _V_uses_h_prev,
    ),
    Mistake(
        "missing_relu_mask",
        ("h", "W"),
        "The ReLU derivative is missing: every step back through h_i = ReLU(…) multiplies by "
        "diag(1[h_i > 0]).",
        "缺少 ReLU 的导数：每经过一步 h_i = ReLU(…) 的反向传播都要乘以 diag(1[h_i > 0])。",
        _missing_relu_mask,
    ),
    Mistake(
        "mask_off_by_one",
        ("h",),
        "The ReLU masks are one step off: the factor ∂h_i/∂h_{i−1} is diag(1[h_i > 0]) W, "
        "with the mask of h_i, not of h_{i−1}.",
        "ReLU 掩码错了一步：因子 ∂h_i/∂h_{i−1} = diag(1[h_i > 0]) W，用的是 h_i 的掩码，"
        "而不是 h_{i−1} 的。",
        _mask_off_by_one,
    ),
    Mistake(
        "transposed_W",
        ("h",),
        "Wᵀ is used where W belongs: with row-vector gradients each step multiplies by "
        "diag(1[h_i > 0]) W on the right (with column vectors it is Wᵀ diag(1[h_i > 0]) on the "
        "left).",
        "在应使用 W 的地方用了 Wᵀ：梯度写成行向量时每一步右乘 diag(1[h_i > 0]) W"
        "（写成列向量时为左乘 Wᵀ diag(1[h_i > 0])）。",
        _transposed_W,
    ),
    Mistake(
        "reversed_product",
        ("h",),
        "The Jacobians are multiplied in the wrong order: the chain rule gives "
        "(y_pred − y_gt) V · D_l W · D_{l−1} W ⋯ D_{t+1} W, in descending order of i.",
        "雅可比矩阵的相乘顺序反了：链式法则给出 (y_pred − y_gt) V · D_l W · D_{l−1} W ⋯ "
        "D_{t+1} W，i 按降序排列。",
        _reversed_product,
    ),
    Mistake(
        "missing_error_factor",
        ("h",),
        "The factor (y_pred − y_gt) is missing: ∂L/∂h_l = (y_pred − y_gt) V.",
        "缺少因子 (y_pred − y_gt)：∂L/∂h_l = (y_pred − y_gt) V。",
        _missing_error_factor,
    ),
    Mistake(
        "uses_h_t",
        ("W",),
        "h_t is used where h_{t−1} belongs: h_t = ReLU(b + W h_{t−1} + U x_t), so "
        "∂h_t/∂W involves h_{t−1}.",
        "在应使用 h_{t−1} 的地方用了 h_t：h_t = ReLU(b + W h_{t−1} + U x_t)，"
        "所以 ∂h_t/∂W 中出现的是 h_{t−1}。",
        _uses_h_t,
    ),
    Mistake(
        "only_last_term",
        ("W",),
        "Only the t = l term is counted: W is used at every step, so ∂L/∂W sums the terms "
        "of all t = 1..l.",
        "只计算了 t = l 这一项：W 在每个时间步都被使用，∂L/∂W 要对 t = 1..l 的所有项求和。",
        _only_last_term,
    ),
    Mistake(
        "drops_last_term",
        ("W",),
        "The t = l term is missing from the sum: ∂L/∂W sums t = 1..l, including the last "
        "step (y_pred − y_gt) V diag(1[h_l > 0]) (I_n ⊗ h_{l−1}ᵀ).",
        "求和中漏掉了 t = l 这一项：∂L/∂W 对 t = 1..l 求和，包括最后一步 "
        "(y_pred − y_gt) V diag(1[h_l > 0]) (I_n ⊗ h_{l−1}ᵀ)。",
        _drops_last_term,
    ),
    Mistake(
        "transposed_result",
        ("W", "U"),
        "The result is transposed: G[i, j] must be ∂L/∂W[i, j] = Σ_t δ_t[i] h_{t−1}[j] "
        "(a column-major flattening of the 1×n² row gives this too).",
        "结果被转置了：G[i, j] 应为 ∂L/∂W[i, j] = Σ_t δ_t[i] h_{t−1}[j]"
        "（把 1×n² 的行向量按列展开也会得到这个结果）。",
        _transposed_result,
        by_part={
            "U": (
                "The result is transposed: G[i, j] must be ∂L/∂U[i, j] = Σ_t δ_t[i] x_t[j] "
                "(a column-major flattening of the 1×n² row gives this too).",
                "结果被转置了：G[i, j] 应为 ∂L/∂U[i, j] = Σ_t δ_t[i] x_t[j]"
                "（把 1×n² 的行向量按列展开也会得到这个结果）。",
            )
        },
    ),
)


def wrong_answers(c: CaseInputs) -> dict[str, dict[str, Array]]:
    """Every catalogued wrong answer for one case: ``{part: {mistake_id: array}}``."""
    out: dict[str, dict[str, Array]] = {}
    for mistake in CATALOGUE:
        for part, value in mistake.answer(c).items():
            if part in mistake.parts:
                out.setdefault(part, {})[mistake.id] = np.asarray(value, dtype=np.float64)
    return out
