"""What the example mistake submissions get wrong besides their own mistake.

A student who makes one catalogued mistake may, on a part outside it, give exactly the answer
of an earlier entry, and the grader names that entry there, whose text fits that part: leaving
the sigmoid's derivative out of ∂L/∂d (dd_is_dy_pred) and then carrying that ∂L/∂d back into
∂L/∂V, ∂L/∂h_t, … (missing_sigmoid_factor). The example submissions do what such a student
would, and the tests expect it.
"""

from __future__ import annotations

#: Mistake id -> {part outside its own: the earlier entry whose answer the submission gives}.
ALSO_MAKES: dict[str, dict[str, str]] = {
    "missing_sigmoid_factor": {"d": "dd_is_dy_pred"},  # ∂L/∂d given as ∂L/∂y_pred
    "extra_sigmoid_factor": {"y_pred": "dy_pred_is_dd"},  # ∂L/∂y_pred given as y_pred − y_gt
}
