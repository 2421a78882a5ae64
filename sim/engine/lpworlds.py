"""The zone of problems too large to enumerate: one warm-started LP per live world (:mod:`sim.engine.lp`).

Nothing is kept per world but the dual vertices it has met and the basis of each combination it solved;
what protocols read (``mu``, ``B``, ``L``, ``feasible``) is built on demand for the worlds asked for, from
those vertices. Before a deal, :meth:`LpWorlds.prepare` adds the facets a protocol's point rests on, by
cutting planes: the protocol's point on the facets known so far is checked by one LP (the ray from the
reservations through it), and a facet it violates is added, until it is feasible (Kelley 1960).
"""

from __future__ import annotations

import numpy as np

from . import lp

__all__ = ["Rows", "LpWorlds"]


class Rows:
    """A per-world table computed for the worlds asked for: ``rows[idx]`` or ``rows[idx, combo]``."""

    def __init__(self, fn):
        self.fn = fn

    def __getitem__(self, key):
        if isinstance(key, tuple):
            out = self.fn(np.atleast_1d(key[0]))
            return out[(np.arange(len(out)),) + key[1:]]
        return self.fn(np.atleast_1d(key))


class LpWorlds:
    """Per-world LP state for a :class:`sim.engine.solver.Zone` using the LP method.

    Parameters
    ----------
    zone : the Zone (for its worlds, combinations, box and clipped points).
    cap : vertices kept per world.
    """

    def __init__(self, zone, *, cap: int):
        self.zone, self.cap = zone, cap
        self.cache: dict[int, lp.WorldCache] = {}
        self.best = np.zeros(len(zone.stale), dtype=int)

    def forget(self, idx) -> None:
        """Red lines moved in worlds ``idx``: their bases no longer hold (their vertices still bound)."""
        for w in np.atleast_1d(np.arange(len(self.best))[idx]):
            if w in self.cache:
                self.cache[w].basis.clear()

    def drop(self, idx) -> None:
        """Worlds ``idx`` are settled: free their state."""
        for w in idx:
            self.cache.pop(int(w), None)

    def L(self, idx) -> np.ndarray:
        from .solver import combo_utilities
        wd = self.zone.worlds
        return combo_utilities(wd.w_level[idx], wd.level_vals, self.zone.combos)

    def feasible(self, idx) -> np.ndarray:
        from .solver import combo_feasible
        z = self.zone
        return combo_feasible([al[idx] for al in z.worlds.allowed], z.combos, z.box[0][idx], z.box[1][idx])

    def _chunk(self) -> int:
        n = self.zone.worlds.ideal.shape[1]
        return max(1, 2_000_000 // (len(self.zone.combos) * n + n * n * max(1, self.zone.worlds.ideal.shape[2])))

    def evaluate(self, live: np.ndarray, r: np.ndarray):
        """Exact width, best combination and certificate index for worlds ``live``."""
        t = np.empty(len(live))
        combo = np.zeros(len(live), dtype=int)
        cert = np.zeros(len(live), dtype=int)
        step = self._chunk()
        for s in range(0, len(live), step):
            idx = live[s:s + step]
            vc, L, ok = self.zone.points(idx), self.L(idx), self.feasible(idx)
            for j, w in enumerate(idx):
                cache = self.cache.setdefault(int(w), lp.WorldCache())
                t[s + j], combo[s + j], cert[s + j] = lp.world_width(vc[j], L[j], ok[j], r[w], cache, cap=self.cap)
        self.best[live] = combo
        return t, combo, cert

    def mu(self, idx) -> np.ndarray:
        """Every vertex each world has met, padded by repeating its first: (len(idx), C, n)."""
        n = self.zone.worlds.ideal.shape[1]
        verts = [self.cache[int(w)].verts if int(w) in self.cache and self.cache[int(w)].verts
                 else [np.full(n, 1.0 / n)] for w in idx]
        C = max((len(v) for v in verts), default=1)
        if not verts:
            return np.zeros((0, C, n))
        return np.stack([np.stack(v + [v[0]] * (C - len(v))) for v in verts])

    def B(self, idx) -> np.ndarray:
        """Facet table ``H(mu) + mu.L`` for worlds ``idx``: (len(idx), combos, C)."""
        from .solver import support
        mu = self.mu(idx)
        if not len(idx):
            return np.zeros((0, len(self.zone.combos), 1))
        return support(mu, self.zone.points(idx))[:, None, :] + self.L(idx) @ np.swapaxes(mu, 1, 2)

    def prepare(self, idx: np.ndarray, r: np.ndarray, protocol) -> None:
        """Add the facets ``protocol`` (a function of :mod:`sim.engine.protocols`) rests on in worlds ``idx``,
        by cutting planes, so that its point on the known facets is a point of the true feasible set."""
        todo = np.asarray(idx)
        for _ in range(4 * self.zone.worlds.ideal.shape[1] + 8):
            if not len(todo):
                return
            mu, B, ok = self.mu(todo), self.B(todo), self.feasible(todo)
            y, combo = protocol(mu, np.swapaxes(B, 1, 2), ok, r[todo], discount=self.zone.worlds.discount[todo])
            todo = todo[[self._cut(w, y[j], combo[j], r[w]) for j, w in enumerate(todo)]]
        raise RuntimeError(f"cutting planes did not settle the deal in {len(todo)} worlds")

    def _cut(self, w: int, y: np.ndarray, combo: int, r: np.ndarray) -> bool:
        """Whether ``y`` lies outside world ``w``'s feasible utilities, adding the facet that shows it."""
        d = np.maximum(y - r, 0.0)
        reach = d.max() if np.isfinite(d).all() else np.inf
        if reach <= 1e-12:
            return False
        d = np.where(np.isinf(d), 1.0, d / reach) if np.isinf(reach) else d / reach
        z = self.zone
        vc = z.points(np.array([w]))[0]
        lr = self.L(np.array([w]))[0, combo] - r
        v = lp.ray(vc, lr, d)
        if v is None or reach - lp.value(vc, v.mu, lr) <= 1e-11:
            return False
        cache = self.cache.setdefault(int(w), lp.WorldCache())
        known = len(cache.verts)
        return cache.add(v.mu, 10 ** 6) == known          # a facet already known: nothing more to learn
