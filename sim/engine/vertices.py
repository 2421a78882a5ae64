"""Enumeration of the dual vertices: the exact method for few actors and issues.

The minimum of the convex, piecewise-linear dual ``H(mu) + mu.(L - r)`` over the simplex lies at a vertex of
the arrangement of kink hyperplanes ``mu.(v_j - v_j') = 0`` (adjacent ideals on each issue) and simplex faces,
which depends only on weights and ideals: each vertex solves ``n - 1`` of them with ``sum(mu) = 1``. There are
:func:`subset_count` subsets to solve per world, so this is the method for small problems only
(:class:`sim.engine.solver.Zone` chooses; :mod:`sim.engine.lp` is the method for large ones).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .linalg import add_last, fold, regular
from .utility import issue_values

__all__ = ["dual_candidates", "point_utilities", "point_values", "subset_count", "CHUNK"]

# Subsets solved at once by the batched path (memory about 40 n^2 bytes each). Small enough for a chunk's
# arrays to stay in a core's cache: december-2022's two zones at 10,000 worlds (3 actors, 21 and 10 subsets a
# world) build in 0.049 s with 50,000, against 0.092 s with 500,000 and 0.064 s with 20,000 (processor
# seconds, best of five). Each world's vertices are its own: the chunk size does not change them.
CHUNK = 50_000
TOL = 1e-12
SAMPLE = 1024           # worlds looked at to decide whether repeated configurations are worth finding


def point_utilities(w: np.ndarray, ideal: np.ndarray, span: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Weighted value to actor i of candidate point j on issue k: (W, kc, j, i)."""
    return point_values(w, ideal, span, p).transpose(0, 3, 1, 2)


def point_values(w: np.ndarray, ideal: np.ndarray, span: np.ndarray, p: np.ndarray) -> np.ndarray:
    """:func:`point_utilities` in the layout the values are computed in, (W, j, i, kc): a contiguous array
    of which :func:`point_utilities` is a view."""
    # issue_values takes outcomes (..., kc) and actors (..., n, kc); here each candidate j is an outcome
    return issue_values(p.transpose(0, 2, 1), w[:, None], ideal[:, None], span[:, None])


def _hyperplanes(vu: np.ndarray, ideal: np.ndarray) -> list[np.ndarray]:
    """Normals of the kink hyperplanes of one world's support function (adjacent ideals per issue)."""
    planes = []
    for k in range(vu.shape[0]):
        order = np.argsort(ideal[:, k], kind="stable")
        pos = ideal[order, k]
        reps = [order[0]] + [order[j] for j in range(1, len(order)) if pos[j] > pos[j - 1]]
        for j0, j1 in zip(reps, reps[1:]):
            normal = vu[k, j0] - vu[k, j1]
            if np.abs(normal).max() > TOL:
                planes.append((k, j0, j1, normal))
    return planes


def _vertices(w: np.ndarray, ideal: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Dual candidates for one (weights, ideals) configuration: (C, n) points of the simplex."""
    n = w.shape[0]
    vu = point_utilities(w[None], ideal[None], span[None], ideal.T[None])[0]   # (kc, j, i)
    planes = _hyperplanes(vu, ideal)
    normals = [p[3] for p in planes] + list(np.eye(n))
    subsets = np.array(list(itertools.combinations(range(len(normals)), n - 1)), dtype=int)
    if n == 1:
        return np.ones((1, 1))
    rows = np.array(normals)[subsets]                                        # (S, n-1, n)
    A = np.concatenate([rows, np.ones((len(subsets), 1, n))], axis=1)
    rhs = np.zeros(n)
    rhs[-1] = 1.0
    ok = regular(A)
    mu = np.linalg.solve(A[ok], np.broadcast_to(rhs, (ok.sum(), n))[..., None])[..., 0]
    sub = subsets[ok]
    keep = (mu >= -1e-10).all(axis=1)
    mu, sub = np.clip(mu[keep], 0.0, None), sub[keep]
    mu /= mu.sum(axis=1, keepdims=True)
    active = np.ones(len(mu), dtype=bool)
    for h, (k, j0, j1, _) in enumerate(planes):
        uses = (sub == h).any(axis=1)
        vals = mu @ vu[k].T                                                  # (C, j)
        top = vals.max(axis=1)
        active &= ~uses | ((np.abs(vals[:, j0] - top) < 1e-9) & (np.abs(vals[:, j1] - top) < 1e-9))
    mu = mu[active]
    return np.unique(np.round(mu, 13), axis=0) if len(mu) else np.eye(n)


def _batched_vertices(w: np.ndarray, ideal: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Dual candidates for many worlds at once when each has its own (weights, ideals): (W, C, n).

    Hyperplanes are taken between actors adjacent in the order of their ideals on each issue (ties give
    a zero normal and drop out as singular), so every world has the same number of subsets to solve.
    """
    W, n, kc = w.shape
    order = np.argsort(ideal, axis=1, kind="stable")                                  # (W, n, kc)
    pos = np.take_along_axis(ideal, order, axis=1)
    vu = point_utilities(w, ideal, span, np.swapaxes(pos, 1, 2))                     # (W, kc, j sorted, i)
    normals = vu[:, :, :-1, :] - vu[:, :, 1:, :]                                      # (W, kc, n-1, n)
    tops = [(k, j) for k in range(kc) for j in range(n - 1)]
    allp = np.concatenate([normals.reshape(W, kc * (n - 1), n), np.broadcast_to(np.eye(n), (W, n, n))], axis=1)
    subsets = np.array(list(itertools.combinations(range(allp.shape[1]), n - 1)), dtype=int)
    mu, ok = _solve_vertices(allp, subsets)
    valid = ok & fold(np.logical_and, mu >= -1e-10, 2)
    vals = (np.maximum(mu, 0.0) @ vu.transpose(0, 3, 1, 2).reshape(W, n, -1)).reshape(W, -1, kc, n)  # (W,S,kc,j)
    top = fold(np.maximum, vals, 3)
    for h, (k, j) in enumerate(tops):
        uses = np.flatnonzero((subsets == h).any(axis=1))      # only the subsets on this plane are checked
        at, tk = vals[:, uses, k], top[:, uses, k]
        valid[:, uses] &= (np.abs(at[..., j] - tk) < 1e-9) & (np.abs(at[..., j + 1] - tk) < 1e-9)
    rank = np.argsort(~valid, axis=1, kind="stable")[:, :valid.sum(axis=1).max()]      # the valid ones first:
    valid = np.take_along_axis(valid, rank, axis=1)                                   # only those kept are
    mu = np.take_along_axis(mu, rank[..., None], axis=1)                              # taken and normalised
    np.maximum(mu, 0.0, out=mu)                                     # np.clip(mu, 0, None), in place
    mu /= np.where(valid, add_last(mu), 1.0)[..., None]
    np.copyto(mu, mu[:, :1], where=~valid[..., None])                                 # pad with a valid one
    return mu


def _solve_vertices(allp: np.ndarray, subsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The point of ``sum(mu) = 1`` on each subset of planes (W, S, n), and whether it is one point (``e_n``
    where not). With three actors it is the cross product of the two normals over its sum (the
    determinant of the system), in closed form: no batched solver's per-matrix cost."""
    W, _, n = allp.shape
    if n == 3:               # one contiguous array per coordinate: the products run along whole rows
        comp = np.ascontiguousarray(allp.transpose(2, 0, 1))
        (x1, y1, z1), (x2, y2, z2) = np.take(comp, subsets[:, 0], axis=2), np.take(comp, subsets[:, 1], axis=2)
        tmp = np.empty_like(x1)              # products written in place: the same operations, fewer arrays
        c0, c1, c2 = y1 * z2, z1 * x2, x1 * y2
        c0 -= np.multiply(z1, y2, out=tmp)
        c1 -= np.multiply(x1, z2, out=tmp)
        c2 -= np.multiply(y1, x2, out=tmp)
        det = c0 + c1
        det += c2
        # Hadamard's bound, as :func:`regular` takes it: the row norms as np.linalg.norm gives them, each
        # plane's found once and taken for every subset it is in
        norm = np.sqrt(_norm2(*comp, np.empty(comp.shape[1:])))
        scale = np.take(norm, subsets[:, 0], axis=1)
        scale *= np.take(norm, subsets[:, 1], axis=1)
        scale *= np.sqrt(3.0)
        ok = np.abs(det) > 1e-12 * np.where(scale > 0, scale, 1.0)
        d, bad = np.where(ok, det, 1.0), ~ok
        out = np.empty(ok.shape + (3,))
        for c, (v, fill) in enumerate(((c0, 0.0), (c1, 0.0), (c2, 1.0))):      # in place: no temporaries
            np.divide(v, d, out=v)
            v[bad] = fill
            out[..., c] = v
        return out, ok
    A = np.concatenate([allp[:, subsets], np.ones((W, len(subsets), 1, n))], axis=2)  # (W, S, n, n)
    ok = regular(A)
    A = np.where(ok[..., None, None], A, np.eye(n))
    return np.linalg.solve(A, np.broadcast_to(np.eye(n)[-1], A.shape[:-1])[..., None])[..., 0], ok


def _norm2(x: np.ndarray, y: np.ndarray, z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``x * x + y * y + z * z`` into ``out`` (which may be ``x``), in that order: as written, fewer arrays."""
    sq = y * y
    np.multiply(x, x, out=out)
    out += sq
    out += np.multiply(z, z, out=sq)
    return out


def dual_candidates(w: np.ndarray, ideal: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Dual vertices for every world, (W, C, n), computed once per distinct (weights, ideals).

    Any point of the simplex is a valid dual bound, so padding rows repeat a vertex of the same world.
    Many distinct configurations are solved in chunks of about ``CHUNK`` subsets at once.
    """
    W, n, kc = w.shape
    if kc == 0:
        return np.broadcast_to(np.eye(n), (W, n, n)).copy()
    step = max(1, CHUNK // subset_count(n, kc))
    if W > SAMPLE and len(np.unique(_key(w[:SAMPLE], ideal[:SAMPLE], span[:SAMPLE]), axis=0)) > SAMPLE // 2:
        # mostly distinct (drawn per world): solving each world costs less than finding the few repeats,
        # and gives the same rows (each world's vertices are computed on their own either way)
        return _gather((_batched_vertices(w[s:s + step], ideal[s:s + step], span[s:s + step])
                        for s in range(0, W, step)), W)
    key = _key(w, ideal, span)
    uniq, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    del key
    inverse = inverse.reshape(-1)
    if len(uniq) > 16:
        del uniq             # a million worlds' keys: not held while the vertices are solved
        parts = [_batched_vertices(w[first[s:s + step]], ideal[first[s:s + step]], span[first[s:s + step]])
                 for s in range(0, len(first), step)]
        return _spread(parts, inverse, step)
    per = [_vertices(*np.split(u.reshape(n, 3 * kc), 3, axis=1))[None] for u in uniq]
    return _pad(per)[inverse]


def _key(w: np.ndarray, ideal: np.ndarray, span: np.ndarray) -> np.ndarray:
    """What a world's dual vertices depend on, one row per world."""
    return np.concatenate([w, ideal, span], axis=2).reshape(len(w), -1)


def _gather(parts, W: int) -> np.ndarray:
    """``_pad`` of the (w_k, C_k, n) vertices of consecutive worlds, written into the (W, max C_k, n) result
    as each part is solved: one part is held at a time, not all of them beside the result. The result is
    widened (each world padded with its first vertex) when a later part has more vertices."""
    out, s = None, 0
    for p in parts:
        if out is None:
            out = np.empty((W, p.shape[1], p.shape[2]))
        elif p.shape[1] > out.shape[1]:
            out = np.concatenate([out, np.repeat(out[:, :1], p.shape[1] - out.shape[1], axis=1)], axis=1)
        out[s:s + len(p), :p.shape[1]] = p
        out[s:s + len(p), p.shape[1]:] = p[:, :1]
        s += len(p)
    return out


def _spread(parts: list[np.ndarray], inverse: np.ndarray, step: int) -> np.ndarray:
    """``_pad(parts)[inverse]`` for parts of ``step`` distinct configurations each, written straight into the
    (W, max C_i, n) result: no padded copy of every distinct configuration's vertices is made."""
    cmax = max(p.shape[1] for p in parts)
    out = np.empty((len(inverse), cmax, parts[0].shape[2]))
    order = np.argsort(inverse, kind="stable")
    ends = np.searchsorted(inverse[order], np.arange(len(parts) + 1) * step)
    for k in range(len(parts)):
        p, parts[k] = parts[k], None            # each part is freed once written
        rows = order[ends[k]:ends[k + 1]]
        local = inverse[rows] - k * step
        out[rows, :p.shape[1]] = p[local]
        out[rows, p.shape[1]:] = p[local, :1]
    return out


def _pad(parts: list[np.ndarray]) -> np.ndarray:
    """Stack (w, C_i, n) blocks into (sum w, max C_i, n), padding each world with its first vertex."""
    cmax = max(p.shape[1] for p in parts)
    return np.concatenate([np.concatenate([p, np.repeat(p[:, :1], cmax - p.shape[1], axis=1)], axis=1)
                           for p in parts])


def subset_count(n: int, kc: int) -> int:
    """How many (n-1)-subsets of kink hyperplanes and simplex faces the enumeration solves per world."""
    return math.comb(kc * (n - 1) + n, n - 1)
