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
    """A wrong derivation. ``en``/``zh`` name the mistake and where to look, and state no
    correct formula (the ``mistake`` feedback level); ``solution_en``/``solution_zh`` give the
    correct formula (shown only at the ``solution`` level)."""

    id: str
    parts: tuple[str, ...]
    en: str
    zh: str
    answer: Callable[[CaseInputs], dict[str, Array]]
    #: The text for a part whose wording is not the general text's: part -> (en, zh).
    by_part: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    solution_en: str = ""
    solution_zh: str = ""
    #: The correct formula for a part whose formula is not the general one: part -> (en, zh).
    solution_by_part: Mapping[str, tuple[str, str]] = field(default_factory=dict)


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


def _shared_from_delta(c: CaseInputs, delta: Array) -> dict[str, Array]:
    """∂L/∂W, ∂L/∂U and ∂L/∂b from rows δ_1..δ_l, whatever wrong δ a mistake makes."""
    return {"W": delta.T @ c.h[:-1], "U": delta.T @ c.x[1:], "b": delta.sum(axis=0)}


#: truncated_bptt: how many steps back from the output the truncated recursion keeps. Below
#: the random cases' shortest length (reference.instances.L_MIN = 4, checked by a test), so the
#: truncation cuts something off on every random case.
TRUNCATION_STEPS = 2


def _tanh_derivative(c: CaseInputs) -> dict[str, Array]:
    slope = 1.0 - c.h**2  # tanh'(a) written as 1 − h², where ReLU's is 1[h > 0]
    # The products grow large (|1 − h²| reaches hundreds), yet with the instances' rms of a
    # pre-activation ≤ 10 each of ≤ 30 steps scales by < 2500: below 1e102, no overflow; a
    # float32 student's answer may overflow, and is then reported as not finite instead.
    dh = _dh_chain(c, lambda g, t: (g * slope[t + 1]) @ c.W, c.error * c.V)
    return {"h": dh, **_shared_from_delta(c, dh * slope[1:])}


def _labels_pm1(c: CaseInputs) -> dict[str, Array]:
    # The ±1 logistic loss log(1 + e^(−y z)), z = V h_l + d, has ∂/∂z = −y sigmoid(−y z): with
    # y = y_gt that is the right gradient for y_gt = 1 and exactly zero for y_gt = 0.
    return {part: c.y_gt * value for part, value in _correct(c).items()}


def _mean_over_time(c: CaseInputs) -> dict[str, Array]:
    correct = _correct(c)
    return {part: correct[part] / c.l for part in ("W", "U", "b")}


def _truncated_bptt(c: CaseInputs) -> dict[str, Array]:
    kept = np.zeros((c.l, 1))
    kept[-TRUNCATION_STEPS:] = 1.0  # rows t = l − K + 1..l; every row when l ≤ K
    dh = _correct(c)["h"] * kept
    return {"h": dh, **_shared_from_delta(c, dh * c.masks[1:])}


def _returns_delta(c: CaseInputs) -> dict[str, Array]:
    return {"h": _delta(c)}


def _scaled_from_d(c: CaseInputs, scale: float, parts: tuple[str, ...]) -> dict[str, Array]:
    """The right gradients of ``parts`` times ``scale``: a wrong ∂L/∂d carried back unchanged."""
    correct = _correct(c)
    return {part: scale * correct[part] for part in parts}


def _missing_sigmoid_factor(c: CaseInputs) -> dict[str, Array]:
    # ∂L/∂d taken as ∂L/∂y_pred (that part is dd_is_dy_pred's), then carried back.
    return _scaled_from_d(c, 1.0 / (c.y_pred * (1.0 - c.y_pred)), ("V", "h", "W", "U", "b"))


def _extra_sigmoid_factor(c: CaseInputs) -> dict[str, Array]:
    # ∂L/∂y_pred taken as y_pred − y_gt (that part is dy_pred_is_dd's), times the sigmoid's
    # derivative: the gradient of the squared error ½(y_pred − y_gt)², not the cross-entropy's.
    return _scaled_from_d(c, c.y_pred * (1.0 - c.y_pred), ("d", "V", "h", "W", "U", "b"))


#: The correct formula of each part (part -> (en, zh)): the "solution" level of a mistake that
#: concerns every part alike. Each states its formula as "∂L/∂… = …".
FORMULAS: dict[str, tuple[str, str]] = {
    "y_pred": (
        "∂L/∂y_pred = −y_gt / y_pred + (1 − y_gt) / (1 − y_pred), which simplifies to "
        "∂L/∂y_pred = (y_pred − y_gt) / (y_pred (1 − y_pred)).",
        "∂L/∂y_pred = −y_gt / y_pred + (1 − y_gt) / (1 − y_pred)，化简后为 "
        "∂L/∂y_pred = (y_pred − y_gt) / (y_pred (1 − y_pred))。",
    ),
    "d": ("∂L/∂d = y_pred − y_gt.", "∂L/∂d = y_pred − y_gt。"),
    "V": ("∂L/∂V = (y_pred − y_gt) h_l.", "∂L/∂V = (y_pred − y_gt) h_l。"),
    "h": (
        "With row vectors, ∂L/∂h_l = (y_pred − y_gt) V; for t < l, "
        "∂L/∂h_t = ∂L/∂h_{t+1} diag(1[h_{t+1} > 0]) W.",
        "写成行向量时，∂L/∂h_l = (y_pred − y_gt) V；t < l 时，"
        "∂L/∂h_t = ∂L/∂h_{t+1} diag(1[h_{t+1} > 0]) W。",
    ),
    "W": (
        "∂L/∂W[i, j] = Σ_t δ_t[i] h_{t−1}[j], with δ_t = ∂L/∂h_t ⊙ 1[h_t > 0].",
        "∂L/∂W[i, j] = Σ_t δ_t[i] h_{t−1}[j]，其中 δ_t = ∂L/∂h_t ⊙ 1[h_t > 0]。",
    ),
    "U": (
        "∂L/∂U[i, j] = Σ_t δ_t[i] x_t[j], with δ_t = ∂L/∂h_t ⊙ 1[h_t > 0].",
        "∂L/∂U[i, j] = Σ_t δ_t[i] x_t[j]，其中 δ_t = ∂L/∂h_t ⊙ 1[h_t > 0]。",
    ),
    "b": (
        "∂L/∂b = Σ_t δ_t, with δ_t = ∂L/∂h_t ⊙ 1[h_t > 0].",
        "∂L/∂b = Σ_t δ_t，其中 δ_t = ∂L/∂h_t ⊙ 1[h_t > 0]。",
    ),
}

# Each entry's en/zh name the mistake and say where to look, with no correct formula (the
# "mistake" feedback level); solution_en/solution_zh give the formula (the "solution" level).
CATALOGUE: tuple[Mistake, ...] = (
    Mistake(
        "sign_flip",
        ("y_pred", "d", "V", "h", "W", "U", "b"),
        "The answer is the negated gradient: every entry has the opposite sign. Check the minus "
        "sign in front of the loss as you differentiate the logarithms.",
        "结果恰好是梯度的相反数：每个元素的符号都反了。对对数求导时，请检查损失前面的负号。",
        _sign_flip,
        solution_en=FORMULAS["d"][0],
        solution_zh=FORMULAS["d"][1],
        solution_by_part=FORMULAS,
    ),
    Mistake(
        "dy_pred_is_dd",
        ("y_pred",),
        "This is ∂L/∂d: the answer has been taken on through the sigmoid's derivative. "
        "∂L/∂y_pred stops at y_pred, before the sigmoid.",
        "这是 ∂L/∂d：答案多经过了 sigmoid 的导数。∂L/∂y_pred 只求到 y_pred 为止，"
        "还没有经过 sigmoid。",
        _dy_pred_is_dd,
        solution_en=FORMULAS["y_pred"][0],
        solution_zh=FORMULAS["y_pred"][1],
    ),
    Mistake(
        "dd_is_dy_pred",
        ("d",),
        "This is ∂L/∂y_pred: ∂L/∂d still needs the chain rule's next factor, ∂y_pred/∂d, the "
        "sigmoid's derivative.",
        "这是 ∂L/∂y_pred：∂L/∂d 还需按链式法则再乘一个因子 ∂y_pred/∂d，即 sigmoid 的导数。",
        _dd_is_dy_pred,
        solution_en="∂y_pred/∂d = y_pred (1 − y_pred), so "
        "∂L/∂d = ∂L/∂y_pred · y_pred (1 − y_pred) = y_pred − y_gt.",
        solution_zh="∂y_pred/∂d = y_pred (1 − y_pred)，所以 "
        "∂L/∂d = ∂L/∂y_pred · y_pred (1 − y_pred) = y_pred − y_gt。",
    ),
    Mistake(
        "V_uses_h_prev",
        ("V",),
        "This uses h_{l−1}, the hidden state one step before the last: check which hidden state "
        "the output layer reads in the forward pass.",
        "这里用了 h_{l−1}，即最后一步之前的那个隐状态："
        "请检查前向传播中输出层读取的是哪一个隐状态。",
        _V_uses_h_prev,
        solution_en="y_pred depends on V through V h_l only: ∂L/∂V = (y_pred − y_gt) h_l.",
        solution_zh="y_pred 只通过 V h_l 依赖于 V：∂L/∂V = (y_pred − y_gt) h_l。",
    ),
    Mistake(
        "missing_relu_mask",
        ("h", "W"),
        "The ReLU's derivative is missing: every step back through a ReLU (each h_i) has to go "
        "through its derivative, and the cases have many inactive units.",
        "缺少 ReLU 的导数：反向经过每一个 ReLU（每个 h_i）时都必须经过它的导数，"
        "而测试用例中有很多未激活的单元。",
        _missing_relu_mask,
        by_part={
            "W": (
                "The ReLU's derivative is missing: the term of step t goes back through the ReLU "
                "that makes h_t, so it has to go through that ReLU's derivative.",
                "缺少 ReLU 的导数：第 t 步的那一项要反向经过产生 h_t 的 ReLU，"
                "因此必须经过这个 ReLU 的导数。",
            )
        },
        solution_en="Each step back through a ReLU multiplies by its derivative: "
        "∂h_i/∂h_{i−1} = diag(1[h_i > 0]) W.",
        solution_zh="反向经过每个 ReLU 都要乘以它的导数：∂h_i/∂h_{i−1} = diag(1[h_i > 0]) W。",
        solution_by_part={"W": FORMULAS["W"]},
    ),
    Mistake(
        "mask_off_by_one",
        ("h",),
        "The ReLU masks are one step off: the step back from h_i to h_{i−1} uses the mask of "
        "h_{i−1}. Check which state's ReLU that step goes through.",
        "ReLU 掩码错了一步：从 h_i 反向到 h_{i−1} 的那一步用了 h_{i−1} 的掩码。"
        "请检查这一步经过的是哪个状态的 ReLU。",
        _mask_off_by_one,
        solution_en="∂h_i/∂h_{i−1} = diag(1[h_i > 0]) W: the mask of h_i, not of h_{i−1}.",
        solution_zh="∂h_i/∂h_{i−1} = diag(1[h_i > 0]) W：用的是 h_i 的掩码，而不是 h_{i−1} 的。",
    ),
    Mistake(
        "transposed_W",
        ("h",),
        "Wᵀ is used where W belongs: write down the shape of every factor, and from which side "
        "it multiplies.",
        "在应使用 W 的地方用了 Wᵀ：写出每个因子的形状，以及它从哪一侧相乘。",
        _transposed_W,
        solution_en="With row vectors, ∂L/∂h_{i−1} = ∂L/∂h_i diag(1[h_i > 0]) W; with column "
        "vectors, ∂L/∂h_{i−1} = Wᵀ diag(1[h_i > 0]) ∂L/∂h_i.",
        solution_zh="梯度写成行向量时，∂L/∂h_{i−1} = ∂L/∂h_i diag(1[h_i > 0]) W；"
        "写成列向量时，∂L/∂h_{i−1} = Wᵀ diag(1[h_i > 0]) ∂L/∂h_i。",
    ),
    Mistake(
        "reversed_product",
        ("h",),
        "The Jacobians are multiplied in the wrong order: the product runs the wrong way in i. "
        "Matrices do not commute: write the chain from h_t to L one step at a time.",
        "雅可比矩阵的相乘顺序反了：乘积中 i 的次序方向错了。矩阵乘法不满足交换律："
        "请从 h_t 到 L 一步一步写出链式法则。",
        _reversed_product,
        solution_en="∂L/∂h_t = (y_pred − y_gt) V · D_l W · D_{l−1} W ⋯ D_{t+1} W, with "
        "D_i = diag(1[h_i > 0]): the factors in descending order of i.",
        solution_zh="∂L/∂h_t = (y_pred − y_gt) V · D_l W · D_{l−1} W ⋯ D_{t+1} W，"
        "其中 D_i = diag(1[h_i > 0])：各因子按 i 降序排列。",
    ),
    Mistake(
        "missing_error_factor",
        ("h",),
        "The starting value ∂L/∂h_l lacks the factor that the loss and the sigmoid contribute "
        "(the one ∂L/∂d consists of), and every row inherits the gap.",
        "递推的初始值 ∂L/∂h_l 缺少来自损失函数和 sigmoid 的那个因子（也就是 ∂L/∂d 本身），"
        "之后的每一行都继承了这个缺失。",
        _missing_error_factor,
        solution_en="∂L/∂h_l = (y_pred − y_gt) V, and every earlier ∂L/∂h_t carries the same "
        "factor.",
        solution_zh="∂L/∂h_l = (y_pred − y_gt) V，之前的每个 ∂L/∂h_t 也都带有同一个因子。",
    ),
    Mistake(
        "uses_h_t",
        ("W",),
        "h_t is used in the term of step t: check which hidden state step t multiplies by W in "
        "the forward pass.",
        "第 t 步的那一项里用了 h_t：请检查前向传播中第 t 步用 W 去乘的是哪一个隐状态。",
        _uses_h_t,
        solution_en="Step t multiplies W by h_{t−1}, so ∂h_t/∂W involves h_{t−1}: "
        + FORMULAS["W"][0],
        solution_zh="第 t 步用 W 去乘 h_{t−1}，所以 ∂h_t/∂W 中出现的是 h_{t−1}："
        + FORMULAS["W"][1],
    ),
    Mistake(
        "only_last_term",
        ("W",),
        "Only the term of the last step, t = l, is counted: W is used at every step, and every "
        "use contributes to ∂L/∂W.",
        "只计算了最后一步 t = l 的那一项：W 在每个时间步都被使用，每一次使用都对 ∂L/∂W 有贡献。",
        _only_last_term,
        solution_en="W is used at every step t = 1..l, and each step adds its term: "
        + FORMULAS["W"][0],
        solution_zh="W 在每一步 t = 1..l 都被使用，每一步都要加上它的那一项：" + FORMULAS["W"][1],
    ),
    Mistake(
        "drops_last_term",
        ("W",),
        "The term of the last step, t = l, is missing from the sum: the sum over the steps "
        "stops one step short.",
        "求和中漏掉了最后一步 t = l 的那一项：对时间步的求和少了一步。",
        _drops_last_term,
        solution_en="The sum runs over t = 1..l, the last step included: "
        "∂L/∂W = Σ_t ∂L/∂h_t diag(1[h_t > 0]) (I_n ⊗ h_{t−1}ᵀ), a 1×n² row.",
        solution_zh="对 t = 1..l 求和，包括最后一步："
        "∂L/∂W = Σ_t ∂L/∂h_t diag(1[h_t > 0]) (I_n ⊗ h_{t−1}ᵀ)，为 1×n² 的行向量。",
    ),
    Mistake(
        "transposed_result",
        ("W", "U"),
        "The result is transposed: entry [i, j] holds the derivative with respect to W[j, i] "
        "(a column-major flattening of the 1×n² row does this too).",
        "结果被转置了：元素 [i, j] 存放的是对 W[j, i] 的导数（把 1×n² 的行向量按列展开也会这样）。",
        _transposed_result,
        by_part={
            "U": (
                "The result is transposed: entry [i, j] holds the derivative with respect to "
                "U[j, i] (a column-major flattening of the 1×n² row does this too).",
                "结果被转置了：元素 [i, j] 存放的是对 U[j, i] 的导数"
                "（把 1×n² 的行向量按列展开也会这样）。",
            )
        },
        solution_en="G[i, j] must be " + FORMULAS["W"][0],
        solution_zh="G[i, j] 应为 " + FORMULAS["W"][1],
        solution_by_part={
            "U": ("G[i, j] must be " + FORMULAS["U"][0], "G[i, j] 应为 " + FORMULAS["U"][1])
        },
    ),
    # -- Appended entries: their texts name the mistake and what to check, without the right
    # formula, which is in solution_en/solution_zh.
    Mistake(
        "tanh_derivative",
        ("h", "W", "U", "b"),
        "The derivative of tanh (1 − h²) was used for the ReLU: a ReLU's derivative is 1 where "
        "its input is positive and 0 elsewhere, nothing else. Check every step where the "
        "backward pass goes through a ReLU.",
        "在 ReLU 处用了 tanh 的导数 (1 − h²)：ReLU 的导数在输入为正处为 1，其余处为 0，"
        "没有别的取值。请检查反向传播经过 ReLU 的每一步。",
        _tanh_derivative,
        solution_en="ReLU's derivative is 1[a > 0], which is 1[h_t > 0] at step t: ∂L/∂h_t = "
        "∂L/∂h_{t+1} diag(1[h_{t+1} > 0]) W, and with δ_t = ∂L/∂h_t ⊙ 1[h_t > 0], ∂L/∂W = Σ_t δ_t "
        "h_{t−1}ᵀ, ∂L/∂U = Σ_t δ_t x_tᵀ, ∂L/∂b = Σ_t δ_t.",
        solution_zh="ReLU 的导数为 1[a > 0]，在第 t 步即 1[h_t > 0]：∂L/∂h_t = ∂L/∂h_{t+1} "
        "diag(1[h_{t+1} > 0]) W；记 δ_t = ∂L/∂h_t ⊙ 1[h_t > 0]，则 ∂L/∂W = Σ_t δ_t "
        "h_{t−1}ᵀ，∂L/∂U = Σ_t δ_t x_tᵀ，∂L/∂b = Σ_t δ_t。",
    ),
    Mistake(
        "labels_pm1",
        ("y_pred", "d", "V", "h", "W", "U", "b"),
        "The labels were taken as −1 and +1: this gradient is right for the label 1 and zero "
        "for the label 0, as a loss written for ±1 labels gives. Here y_gt is 0 or 1: "
        "differentiate the cross-entropy exactly as the homework writes it.",
        "把标签当成了 −1 和 +1：这个梯度在标签为 1 时正确，在标签为 0 时为零，"
        "正是为 ±1 标签写的损失所给出的结果。本作业中 y_gt 取 0 或 1："
        "请严格按照作业中写出的交叉熵求导。",
        _labels_pm1,
        solution_en="With y_gt ∈ {0, 1}: ∂L/∂y_pred = (y_pred − y_gt) / (y_pred (1 − y_pred)), "
        "∂L/∂d = y_pred − y_gt, ∂L/∂V = (y_pred − y_gt) h_l, ∂L/∂h_l = (y_pred − y_gt) V, and "
        "every earlier gradient keeps the factor (y_pred − y_gt).",
        solution_zh="当 y_gt ∈ {0, 1} 时：∂L/∂y_pred = (y_pred − y_gt) / (y_pred (1 − "
        "y_pred))，∂L/∂d = y_pred − y_gt，∂L/∂V = (y_pred − y_gt) h_l，∂L/∂h_l = (y_pred − y_gt) "
        "V，之前的每个梯度都带有因子 (y_pred − y_gt)。",
    ),
    Mistake(
        "mean_over_time",
        ("W", "U", "b"),
        "The gradient was averaged over the time steps (divided by l). The loss is not a mean "
        "over the steps: the weights are shared by every step, and each step's contribution "
        "counts in full.",
        "梯度对时间步取了平均（除以了 l）。损失并不是各时间步的平均：权重在每一步共享，"
        "每一步的贡献都要完整计入。",
        _mean_over_time,
        solution_en="A plain sum over t = 1..l: ∂L/∂W = Σ_t δ_t h_{t−1}ᵀ, ∂L/∂U = Σ_t δ_t x_tᵀ, "
        "∂L/∂b = Σ_t δ_t, with δ_t = ∂L/∂h_t ⊙ 1[h_t > 0].",
        solution_zh="对 t = 1..l 直接求和：∂L/∂W = Σ_t δ_t h_{t−1}ᵀ，∂L/∂U = Σ_t δ_t x_tᵀ，∂L/∂b "
        "= Σ_t δ_t，其中 δ_t = ∂L/∂h_t ⊙ 1[h_t > 0]。",
    ),
    Mistake(
        "truncated_bptt",
        ("h", "W", "U", "b"),
        f"The backward pass stops {TRUNCATION_STEPS} steps back from the output (truncated "
        f"BPTT): the last {TRUNCATION_STEPS} steps are right and every earlier one is zero. The "
        "exact gradient carries the recursion all the way back to the first step.",
        f"反向传播从输出往回只走了 {TRUNCATION_STEPS} 步（截断的 BPTT）：最后 "
        f"{TRUNCATION_STEPS} 步正确，更早的各步都为零。精确的梯度要把递推一直进行到第一步。",
        _truncated_bptt,
        solution_en="∂L/∂h_l = (y_pred − y_gt) V and ∂L/∂h_t = ∂L/∂h_{t+1} diag(1[h_{t+1} > 0]) W "
        "for every t = l − 1, …, 1; ∂L/∂W = Σ_{t=1..l} δ_t h_{t−1}ᵀ (likewise U with x_t, and b) "
        "sums every step.",
        solution_zh="∂L/∂h_l = (y_pred − y_gt) V，且对每个 t = l − 1, …, 1 都有 ∂L/∂h_t = "
        "∂L/∂h_{t+1} diag(1[h_{t+1} > 0]) W；∂L/∂W = Σ_{t=1..l} δ_t h_{t−1}ᵀ（U 用 x_t，b "
        "同理）对每一步求和。",
    ),
    Mistake(
        "returns_delta",
        ("h",),
        "This is the gradient with respect to the pre-activation b + W h_{t−1} + U x_t (the "
        "ReLU's input), not with respect to h_t: h_t's own ReLU mask has been applied to it. "
        "Check which ReLU masks lie between h_t and the loss.",
        "这是对预激活 b + W h_{t−1} + U x_t（ReLU 的输入）的梯度，而不是对 h_t 的梯度："
        "其中多乘了 h_t 自己的 ReLU 掩码。请检查 h_t 与损失之间到底隔着哪些 ReLU 掩码。",
        _returns_delta,
        solution_en="∂L/∂h_l = (y_pred − y_gt) V and ∂L/∂h_t = ∂L/∂h_{t+1} diag(1[h_{t+1} > 0]) "
        "W: the mask of h_t itself enters only δ_t = ∂L/∂h_t ⊙ 1[h_t > 0], the pre-activation's "
        "gradient used in ∂L/∂W.",
        solution_zh="∂L/∂h_l = (y_pred − y_gt) V，∂L/∂h_t = ∂L/∂h_{t+1} diag(1[h_{t+1} > 0]) "
        "W：h_t 自己的掩码只出现在 δ_t = ∂L/∂h_t ⊙ 1[h_t > 0] 中，即 ∂L/∂W 所用的预激活梯度。",
    ),
    Mistake(
        "missing_sigmoid_factor",
        ("V", "h", "W", "U", "b"),
        "Every gradient from ∂L/∂d back is too large, by the reciprocal of the sigmoid's "
        "derivative: that derivative was left out, so ∂L/∂y_pred was carried back as if it "
        "were ∂L/∂d. Check the step through the sigmoid.",
        "从 ∂L/∂d 往回的每个梯度都偏大，大出的倍数正是 sigmoid 导数的倒数：漏掉了 sigmoid "
        "的导数，于是把 ∂L/∂y_pred 当作 ∂L/∂d 向回传播。请检查经过 sigmoid 的那一步。",
        _missing_sigmoid_factor,
        solution_en="∂y_pred/∂d = y_pred (1 − y_pred), so ∂L/∂d = ∂L/∂y_pred · y_pred (1 − "
        "y_pred) = y_pred − y_gt; then ∂L/∂V = (y_pred − y_gt) h_l and ∂L/∂h_l = (y_pred − y_gt) "
        "V.",
        solution_zh="∂y_pred/∂d = y_pred (1 − y_pred)，所以 ∂L/∂d = ∂L/∂y_pred · y_pred (1 − "
        "y_pred) = y_pred − y_gt；于是 ∂L/∂V = (y_pred − y_gt) h_l，∂L/∂h_l = (y_pred − y_gt) V。",
    ),
    Mistake(
        "extra_sigmoid_factor",
        ("d", "V", "h", "W", "U", "b"),
        "Every gradient from ∂L/∂d back is too small, by a factor of the sigmoid's "
        "derivative: ∂L/∂y_pred was taken from the squared error, not the cross-entropy, and "
        "then multiplied by the sigmoid's derivative. Check ∂L/∂y_pred for the cross-entropy, "
        "then the step through the sigmoid.",
        "从 ∂L/∂d 往回的每个梯度都偏小，多乘了一个 sigmoid 的导数：∂L/∂y_pred 取自平方误差，"
        "而不是交叉熵，之后又乘了 sigmoid 的导数。请先检查交叉熵的 ∂L/∂y_pred，"
        "再检查经过 sigmoid 的那一步。",
        _extra_sigmoid_factor,
        solution_en="For the cross-entropy ∂L/∂y_pred = (y_pred − y_gt) / (y_pred (1 − y_pred)); "
        "times ∂y_pred/∂d = y_pred (1 − y_pred) it leaves ∂L/∂d = y_pred − y_gt, then ∂L/∂V = "
        "(y_pred − y_gt) h_l and ∂L/∂h_l = (y_pred − y_gt) V.",
        solution_zh="交叉熵的 ∂L/∂y_pred = (y_pred − y_gt) / (y_pred (1 − y_pred))；乘以 "
        "∂y_pred/∂d = y_pred (1 − y_pred) 后得到 ∂L/∂d = y_pred − y_gt，于是 ∂L/∂V = (y_pred − "
        "y_gt) h_l，∂L/∂h_l = (y_pred − y_gt) V。",
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
