"""Small batched linear algebra shared by the engine, with one scale-aware singularity test."""

from __future__ import annotations

import numpy as np

__all__ = ["regular", "mv", "mtv", "solve", "solve_small"]


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


def solve_small(A: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched ``A x = c`` with a flag for singular A; Cramer's rule for 2 x 2 (the common case)."""
    if A.shape[-1] == 2:
        det = A[..., 0, 0] * A[..., 1, 1] - A[..., 0, 1] * A[..., 1, 0]
        scale = np.hypot(A[..., 0, 0], A[..., 0, 1]) * np.hypot(A[..., 1, 0], A[..., 1, 1])
        ok = np.abs(det) > 1e-12 * np.where(scale > 0, scale, 1.0)
        d = np.where(ok, det, 1.0)
        x0 = (c[..., 0] * A[..., 1, 1] - A[..., 0, 1] * c[..., 1]) / d
        x1 = (A[..., 0, 0] * c[..., 1] - c[..., 0] * A[..., 1, 0]) / d
        return np.stack([x0, x1], axis=-1), ok
    ok = regular(A)
    A = np.where(ok[..., None, None], A, np.eye(A.shape[-1]))
    return np.linalg.solve(A, c[..., None])[..., 0], ok
