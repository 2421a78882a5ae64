"""Small batched linear algebra shared by the engine, with one scale-aware singularity test."""

from __future__ import annotations

import numpy as np

__all__ = ["regular", "mv", "mtv", "solve", "fold", "fold_last", "rows", "add_last"]

SHORT = 8        # a last axis this short is folded one column at a time (:func:`fold`)
FEW = 256        # rows of a view gathered by plain indexing (:func:`rows`)


def regular(A: np.ndarray, rel: float = 1e-12) -> np.ndarray:
    """Which square matrices are safely invertible: |det| against the product of the row norms
    (Hadamard's bound), so tiny weights (1e-9) do not pass for singular, nor noise for regular."""
    scale = np.linalg.norm(A, axis=-1).prod(axis=-1)
    return np.abs(np.linalg.det(A)) > rel * np.where(scale > 0, scale, 1.0)


def mv(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Batched matrix-vector product: (W, C, n) x (W, n) -> (W, C)."""
    return (m @ v[..., None])[..., 0]


def mtv(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Batched transposed product: (W, C, n) x (W, C) -> (W, n)."""
    return (v[:, None, :] @ m)[:, 0, :]


def solve(J: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Batched ``J x = F``; where J is singular by :func:`regular` (degenerate systems), the least-squares
    solution through the normal equations with a tiny ridge (a batched solve: an SVD per world is far slower,
    and callers check the step they take)."""
    ok = regular(J)
    out = np.empty_like(F)
    if ok.any():
        out[ok] = np.linalg.solve(J[ok], F[ok][..., None])[..., 0]
    if (~ok).any():
        Js = J[~ok]
        JtJ = np.swapaxes(Js, 1, 2) @ Js
        ridge = 1e-12 * (1.0 + np.abs(JtJ).max(axis=(1, 2)))[:, None, None] * np.eye(J.shape[-1])
        out[~ok] = np.linalg.solve(JtJ + ridge, (np.swapaxes(Js, 1, 2) @ F[~ok][..., None]))[..., 0]
    return out


def fold(op, a: np.ndarray, axis: int) -> np.ndarray:
    """``op.reduce(a, axis=axis)`` along a short axis (actors, issues, levels) as elementwise steps, for
    ``op`` one of ``np.maximum``, ``np.minimum``, ``np.logical_and``, ``np.logical_or``: the same values,
    while numpy's reduction along an axis of a few entries costs several times as much."""
    axis = axis % a.ndim
    if a.shape[axis] < 2:
        return op.reduce(a, axis=axis)
    rest = a.shape[:axis] + a.shape[axis + 1:]
    if len(rest) >= 2 and 0 < rest[-1] <= SHORT and a.size >= 64 * a.shape[axis] * rest[-1]:
        # a short last axis too (worlds x issues): one long column at a time, for numpy's inner loop
        # runs along the last axis, and a loop of a few entries per world costs several times as much
        last = a.ndim - 1 if axis < a.ndim - 1 else a.ndim - 2
        cut = (slice(None),) * last
        inner = axis if axis < last else axis - 1
        return np.stack([fold(op, a[cut + (c,)], inner) for c in range(rest[-1])], axis=-1)
    cut = (slice(None),) * axis
    out = op(a[cut + (0,)], a[cut + (1,)])
    for k in range(2, a.shape[axis]):
        op(out, a[cut + (k,)], out=out)
    return out


def rows(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``a[idx]`` for an array of indices: the same rows, several times faster where each row is a few
    entries (a world's red lines, allowed levels or box), which numpy's fancy indexing copies one by one.

    ``np.take`` would first copy a view whole, so a view is gathered through the array it views where it is
    that array with its last axis sliced (a partial deal's issues, :class:`sim.model.partial.IssueSubset`):
    the rows of the whole, then the slice. Other views, and a few rows of any view (``FEW``: finding how the
    view was cut costs more than indexing them), are indexed as they are."""
    if a.flags.c_contiguous:
        return np.take(a, idx, axis=0)
    if len(idx) <= FEW:
        return a[idx]
    cut = _last_axis_cut(a)
    return a[idx] if cut is None else np.take(a.base, idx, axis=0)[..., cut]


def _last_axis_cut(a: np.ndarray) -> slice | None:
    """The slice ``s`` with ``a`` the view ``a.base[..., s]`` of a contiguous array, or None if it is not one."""
    base = a.base
    if (base is None or not base.flags.c_contiguous or base.dtype != a.dtype or base.shape[:-1] != a.shape[:-1]
            or base.strides[:-1] != a.strides[:-1] or a.strides[-1] <= 0 or a.shape[-1] == 0):
        return None
    start, rem = divmod(a.ctypes.data - base.ctypes.data, a.itemsize)
    step = a.strides[-1] // a.itemsize
    if rem or a.strides[-1] % a.itemsize or not 0 <= start < base.shape[-1]:
        return None
    stop = start + step * (a.shape[-1] - 1) + 1
    return slice(start, stop, step) if stop <= base.shape[-1] else None


def add_last(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=-1)``, bit for bit, with a short last axis added one entry at a time: numpy sums fewer
    than eight entries in order, but its loop over a few entries per row costs several times as much."""
    if not 0 < a.shape[-1] < 8:
        return a.sum(axis=-1)
    out = a[..., 0] + 0.0          # numpy starts from 0.0: a lone -0.0 sums to 0.0
    for k in range(1, a.shape[-1]):
        out += a[..., k]
    return out


def fold_last(op, a: np.ndarray) -> np.ndarray:
    """:func:`fold` along a short last axis (at most ``SHORT`` entries; a longer one, or a vector, is reduced by
    ``op`` itself), every row at once (a view of rows where ``a`` allows one): the same values, in
    elementwise steps over all rows however short the other axes are."""
    if a.ndim < 2 or not 2 <= a.shape[-1] <= SHORT:
        return op.reduce(a, axis=-1)
    return fold(op, a.reshape(-1, a.shape[-1]), 1).reshape(a.shape[:-1])
