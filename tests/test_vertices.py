"""The dual vertices of each world do not depend on the worlds solved beside it."""

from __future__ import annotations

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
