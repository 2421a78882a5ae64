"""The dual vertices of each world do not depend on the worlds solved beside it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from zopa.sim.engine import vertices


@pytest.mark.parametrize("W", [600, 1100])         # distinct configurations found, or not looked for
@pytest.mark.parametrize("n, kc", [(3, 2), (3, 1), (2, 3), (4, 1)])
def test_vertices_are_the_same_whatever_the_chunk_size(monkeypatch, W, n, kc):
    """Worlds solved in chunks of a few or all at once get the same vertices, bit for bit, and the same
    padding (each world's first vertex), though chunks differ in how many vertices their worlds have."""
    rng = np.random.default_rng(11)
    w = rng.dirichlet(np.ones(kc + 1), size=(W, n))[:, :, :kc]
    ideal = np.where(rng.random((W, n, kc)) < 0.3, np.round(rng.random((W, n, kc)) * 4) / 4, rng.random((W, n, kc)))
    span = np.maximum(ideal, 1 - ideal)
    per = vertices.subset_count(n, kc)
    out = []
    for chunk in (10 ** 9, per * 37, per * 3):
        monkeypatch.setattr(vertices, "CHUNK", chunk)
        out.append(vertices.dual_candidates(w, ideal, span))
    counts = [len(np.unique(v, axis=0)) for v in out[0]]
    assert len(set(counts)) > 1                   # worlds have different numbers of vertices
    for v in out[1:]:
        assert v.shape == out[0].shape
        assert np.array_equal(v.view(np.int64), out[0].view(np.int64))


def _cross_plain(allp, subsets):
    """The three-actor vertex as the cross product of two normals over its sum, written plainly."""
    comp = np.moveaxis(allp, 2, 0)
    (x1, y1, z1), (x2, y2, z2) = comp[:, :, subsets[:, 0]], comp[:, :, subsets[:, 1]]
    c0, c1, c2 = y1 * z2 - z1 * y2, z1 * x2 - x1 * z2, x1 * y2 - y1 * x2
    det = c0 + c1 + c2
    scale = np.sqrt(x1 * x1 + y1 * y1 + z1 * z1) * np.sqrt(x2 * x2 + y2 * y2 + z2 * z2) * np.sqrt(3.0)
    ok = np.abs(det) > 1e-12 * np.where(scale > 0, scale, 1.0)
    d = np.where(ok, det, 1.0)
    return np.stack([np.where(ok, c0 / d, 0.0), np.where(ok, c1 / d, 0.0), np.where(ok, c2 / d, 1.0)], -1), ok


@pytest.mark.parametrize("seed", range(4))
def test_three_actor_vertices_are_the_plain_cross_product_bit_for_bit(seed):
    """The closed form for three actors, computed in place, gives the bits of the plain expression, on normals
    with zeros of both signs, parallel pairs and tiny weights; and solves the system where it is regular."""
    rng = np.random.default_rng(seed)
    W, P = 300, 7
    allp = rng.normal(size=(W, P, 3)) * 10.0 ** rng.integers(-9, 2, (W, P, 1))
    allp[:, 4:] = np.eye(3)
    allp[rng.random((W, P, 3)) < 0.1] = 0.0
    allp[rng.random((W, P, 3)) < 0.1] = -0.0
    allp[:, 1] = np.where(rng.random((W, 1)) < 0.2, 2.0 * allp[:, 0], allp[:, 1])      # parallel pairs
    subsets = np.array(list(itertools.combinations(range(P), 2)))
    mu, ok = vertices._solve_vertices(allp, subsets)
    plain, plain_ok = _cross_plain(allp, subsets)
    assert np.array_equal(ok, plain_ok) and (~ok).any() and ok.any()
    assert np.array_equal(mu.view(np.int64), plain.view(np.int64))
    A = np.concatenate([allp[:, subsets], np.ones((W, len(subsets), 1, 3))], axis=2)[ok]
    assert np.allclose(np.einsum("sij,sj->si", A, mu[ok]), np.eye(3)[-1], atol=1e-9)
