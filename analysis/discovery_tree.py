"""A CART tree (Breiman et al. 1984) over the same inputs as PRIM; each leaf is a box of its own.

scikit-learn's :class:`~sklearn.tree.DecisionTreeClassifier` grows the tree; this module reads its
leaves back as boxes with PRIM's statistics (coverage, density, mass), so the two can be compared.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["tree_boxes"]


def _encode(x: pd.DataFrame) -> np.ndarray:
    """Numbers as they are, categories as their codes (splits then read as sets of levels)."""
    return np.column_stack([x[c].cat.codes.to_numpy(float) if isinstance(x[c].dtype, pd.CategoricalDtype)
                            else x[c].to_numpy(float) for c in x.columns])


def _paths(tree) -> dict[int, dict[int, list[float]]]:
    """Leaf id -> {feature: [lower, upper]} with ``lower < x <= upper`` along the path to that leaf."""
    t, out = tree.tree_, {}
    stack = [(0, {})]
    while stack:
        node, bounds = stack.pop()
        f = t.feature[node]
        if t.children_left[node] == t.children_right[node]:
            out[node] = bounds
            continue
        lo, hi = bounds.get(f, [-math.inf, math.inf])
        stack.append((t.children_left[node], {**bounds, f: [lo, min(hi, t.threshold[node])]}))
        stack.append((t.children_right[node], {**bounds, f: [max(lo, t.threshold[node]), hi]}))
    return out


def _condition(x: pd.DataFrame, f: int, lo: float, hi: float) -> str:
    name, col = x.columns[f], x[x.columns[f]]
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = [str(v) for i, v in enumerate(col.cat.categories) if lo < i <= hi]
        return f"{name} in {{{', '.join(levels)}}}"
    if lo == -math.inf:
        return f"{name} <= {hi:.4g}"
    if hi == math.inf:
        return f"{name} > {lo:.4g}"
    return f"{lo:.4g} < {name} <= {hi:.4g}"


def tree_boxes(x: pd.DataFrame, y: np.ndarray, *, depth: int = 3, min_share: float = 0.05):
    """Grow a classification tree of ``y`` on ``x`` and describe its leaves, densest first.

    Returns
    -------
    (DecisionTreeClassifier, DataFrame)
        The fitted tree, and one row per leaf: ``leaf``, ``coverage``, ``density``, ``mass``, ``n``,
        ``k`` and the ``rule`` that puts a row in the leaf.
    """
    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError as exc:
        raise ImportError(f"scenario discovery needs the 'discover' extra: pip install 'zopa[discover]' ({exc})") \
            from None
    X, y = _encode(x), np.asarray(y, dtype=bool)
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=max(1, math.ceil(min_share * len(y))),
                                  random_state=0).fit(X, y)
    leaf_of = tree.apply(X)
    rows = []
    for leaf, bounds in _paths(tree).items():
        inside = leaf_of == leaf
        n, k = int(inside.sum()), int(y[inside].sum())
        rule = " and ".join(_condition(x, f, lo, hi) for f, (lo, hi) in sorted(bounds.items())) or "all rows"
        rows.append({"leaf": int(leaf), "coverage": k / y.sum(), "density": k / n, "mass": n / len(y),
                     "n": n, "k": k, "rule": rule})
    table = pd.DataFrame(rows).sort_values(["density", "coverage"], ascending=False, kind="stable")
    return tree, table.reset_index(drop=True)
