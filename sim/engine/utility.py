"""The one utility formula: linear loss from each actor's ideal on range issues, plus levels values.

An actor's value of outcome ``x_k`` on range issue ``k`` is ``w_ik (1 - |x_k - ideal_ik| / span_ik)``, where
``span_ik`` is the distance from its ideal to the far end of the issue's range, so its best outcome is
worth ``w_ik`` and its worst 0. Weights over all issues sum to 1.
"""

from __future__ import annotations

import numpy as np

__all__ = ["issue_values", "utilities_at"]


def issue_values(x: np.ndarray, w: np.ndarray, ideal: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Weighted value of outcomes ``x`` to each actor on each range issue; broadcasts
    ``x`` (..., kc) against ``w``, ``ideal``, ``span`` (..., n, kc) to (..., n, kc)."""
    v = np.subtract(x[..., None, :], ideal)
    if v.dtype.kind != "f" or np.broadcast(v, w, span).shape != v.shape:     # widened by w or span
        return w * (1.0 - np.abs(v) / span)
    np.abs(v, out=v)                 # every step in the array of the first: the same values, no temporaries
    v /= span
    np.subtract(1.0, v, out=v)
    v *= w                           # w * v as v * w: a product does not depend on the order
    return v


def utilities_at(x: np.ndarray, w_range: np.ndarray, ideal: np.ndarray, span: np.ndarray,
                 L: np.ndarray) -> np.ndarray:
    """Utility of outcome ``x`` (W, kc) to each actor, with ``L`` (W, n) its levels part: (W, n)."""
    return issue_values(x, w_range, ideal, span).sum(axis=-1) + L
