"""The zone of problems too large to enumerate: one warm-started LP per live world.

Each live world keeps the simplex tableau of its best combination (:mod:`sim.engine.simplex`; HiGHS,
:mod:`sim.engine.lp`, where an answer cannot be certified) and the dual vertices it has met; what protocols
read (``mu``, ``B``, ``L``, ``feasible``) is built on demand for the worlds asked for, from those vertices.
Before a deal, :meth:`LpWorlds.prepare` adds the facets a protocol's point rests on, by cutting planes: the
point on the facets known so far is checked by the width with reservations set to it, and the facet that
width's certificate shows violated is added, until the point is feasible (Kelley 1960).
"""

from __future__ import annotations

import numpy as np

from . import lp, simplex
from .protocols import Problem

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
        self.has_tab = np.zeros(len(zone.stale), dtype=bool)
        self.fallbacks = 0                      # LPs the simplex could not certify, solved by HiGHS
        self.T = None

    def forget(self, idx) -> None:
        """Red lines moved in worlds ``idx``: their bases no longer hold (their vertices still bound)."""
        self.has_tab[idx] = False

    def drop(self, idx) -> None:
        """Worlds ``idx`` are settled: free their state."""
        for w in idx:
            self.cache.pop(int(w), None)
        self.has_tab[np.asarray(idx, dtype=int)] = False

    def L(self, idx) -> np.ndarray:
        from .solver import combo_utilities
        wd = self.zone.worlds
        return combo_utilities(wd.w_level[idx], wd.level_vals, self.zone.combos)

    def feasible(self, idx) -> np.ndarray:
        from .solver import combo_feasible
        z = self.zone
        return combo_feasible([al[idx] for al in z.worlds.allowed], z.combos, z.box[0][idx], z.box[1][idx])

    def _chunk(self) -> int:
        n, kc = self.zone.worlds.ideal.shape[1:]
        m, N = n + kc, kc * n + 1 + n
        return max(1, 8_000_000 // ((m + 1) * (N + 1) + len(self.zone.combos) * n))

    def _store(self, w: np.ndarray, tab: simplex.Tableaux) -> None:
        if self.T is None:
            W = len(self.best)
            self.T = np.empty((W,) + tab.T.shape[1:])        # pages are touched only for worlds solved
            self.basis = np.empty((W, tab.basis.shape[1]), dtype=int)
            self.b, self.t0 = np.empty((W, tab.b.shape[1])), np.empty(W)
        self.T[w], self.basis[w], self.b[w], self.t0[w] = tab.T, tab.basis, tab.b, tab.t0
        self.has_tab[w] = True

    def _solve(self, w: np.ndarray, vc: np.ndarray, lr: np.ndarray):
        """Width and dual vertex of worlds ``w`` for ``lr``: simplex warm-started from each world's last
        tableau (or cold), HiGHS where the simplex does not certify its answer."""
        kc, J, n = vc.shape[1:]
        warm = self.has_tab[w]
        tab = simplex.build(vc, lr) if not warm.any() else None
        if tab is None:
            tab = simplex.Tableaux(np.empty((len(w),) + self.T.shape[1:]), np.empty((len(w), n + kc), dtype=int),
                                   np.empty((len(w), n)), np.empty(len(w)), n, kc, J)
            if warm.any():
                tab.T[warm], tab.basis[warm] = self.T[w[warm]], self.basis[w[warm]]
                tab.b[warm], tab.t0[warm] = self.b[w[warm]], self.t0[w[warm]]
                part = tab.take(warm)
                simplex.shift(part, lr[warm])
                done_w = simplex.dual(part, maxit=4 * (n + kc) + 20)
                tab.put(warm, part)
            if (~warm).any():
                tab.put(~warm, simplex.build(vc[~warm], lr[~warm]))
        done = simplex.primal(tab, maxit=20 * (n + kc) + 100)
        if warm.any():
            done[warm] &= done_w
        t, mu, ok = simplex.readout(tab, vc, lr)
        ok &= done
        again = np.flatnonzero(~ok & warm)          # a tableau carried over many rounds gathers rounding:
        if len(again):                              # start those again from their candidate points
            fresh = simplex.build(vc[again], lr[again])
            done = simplex.primal(fresh, maxit=20 * (n + kc) + 100)
            t[again], mu[again], ok[again] = simplex.readout(fresh, vc[again], lr[again])
            ok[again] &= done
            tab.put(again, fresh)
        self.fallbacks += int((~ok).sum())
        for j in np.where(~ok)[0]:                                      # uncertified: HiGHS decides
            mu[j] = lp.solve(vc[j], lr[j]).mu
            t[j] = lp.value(vc[j], mu[j], lr[j])
        return t, mu, tab, ok

    def _bounds(self, idx, vc, lr_all, ok) -> np.ndarray:
        """Upper bound on every combination's width from the vertices each world has met: (b, combos)."""
        from .solver import support
        mu = self.mu(idx)
        ub = (support(mu, vc)[:, None, :] + lr_all @ np.swapaxes(mu, 1, 2)).min(axis=2)
        known = np.array([int(w) in self.cache and bool(self.cache[int(w)].verts) for w in idx])
        return np.where(ok, np.where(known[:, None], ub, np.inf), -np.inf)

    def _batch(self, idx: np.ndarray, r: np.ndarray):
        """Exact width, best combination and its dual vertex for worlds ``idx`` (branch and bound over
        levels combinations, pruned by the dual bound)."""
        vc, L, ok = self.zone.points(idx), self.L(idx), self.feasible(idx)
        lr_all = L - r[idx][:, None, :]                                  # (b, combos, n)
        b, n = len(idx), r.shape[1]
        if vc.shape[1] == 0:                                             # no range issue: a simplex corner
            T = np.where(ok, lr_all.min(axis=2), -np.inf)
            combo = T.argmax(axis=1)
            return T[np.arange(b), combo], combo, np.eye(n)[lr_all[np.arange(b), combo].argmin(axis=1)]
        rows = np.arange(b)
        single = len(self.zone.combos) == 1
        ub = np.where(ok, np.inf, -np.inf) if single else self._bounds(idx, vc, lr_all, ok)
        prev = self.best[idx]
        guess = np.where(ok, lr_all.min(axis=2), -np.inf)                # levels part only, before any vertex
        first = np.where(np.isinf(ub), guess, ub).argmax(axis=1)
        cand = np.where(self.has_tab[idx] & ok[rows, prev], prev, first)
        best_t, best_c, best_mu = np.full(b, -np.inf), np.zeros(b, dtype=int), np.zeros((b, n))
        pending = rows
        while len(pending):
            c = cand[pending]
            t, mu, tab, good = self._solve(idx[pending], vc[pending], lr_all[pending, c])
            better = t > best_t[pending]
            keep = pending[better]
            best_t[keep], best_c[keep], best_mu[keep] = t[better], c[better], mu[better]
            self.has_tab[idx[pending[better & ~good]]] = False
            sel = better & good
            if sel.any():
                self._store(idx[pending[sel]], tab.take(sel))
            if single:
                break
            H = (vc[pending] @ mu[:, None, :, None])[..., 0].max(axis=2).sum(axis=1)
            ub[pending] = np.minimum(ub[pending], H[:, None] + (lr_all[pending] @ mu[:, :, None])[..., 0])
            ub[pending, c] = -np.inf                                     # solved
            open_ = ub[pending] > best_t[pending, None] + 1e-12
            pending = pending[open_.any(axis=1)]
            cand[pending] = np.where(ub[pending] > best_t[pending, None] + 1e-12, ub[pending], -np.inf).argmax(axis=1)
        return best_t, best_c, best_mu

    def evaluate(self, live: np.ndarray, r: np.ndarray):
        """Exact width, best combination and certificate index for worlds ``live``."""
        t = np.empty(len(live))
        combo = np.zeros(len(live), dtype=int)
        cert = np.zeros(len(live), dtype=int)
        step = self._chunk()
        for s in range(0, len(live), step):
            idx = live[s:s + step]
            t[s:s + step], combo[s:s + step], mus = self._batch(idx, r)
            for j, w in enumerate(idx):
                cert[s + j] = self.cache.setdefault(int(w), lp.WorldCache()).add(mus[j], self.cap)
        self.best[live] = combo
        return t, combo, cert

    def mu(self, idx) -> np.ndarray:
        """Every vertex each world has met, padded by repeating its first: (len(idx), C, n)."""
        n = self.zone.worlds.ideal.shape[1]
        verts = [self.cache[int(w)].array() if int(w) in self.cache and self.cache[int(w)].verts
                 else np.full((1, n), 1.0 / n) for w in idx]
        C = max((len(v) for v in verts), default=1)
        if not verts:
            return np.zeros((0, C, n))
        out = np.empty((len(verts), C, n))
        for j, v in enumerate(verts):
            out[j, :len(v)], out[j, len(v):] = v, v[0]
        return out

    def B(self, idx) -> np.ndarray:
        """Facet table ``H(mu) + mu.L`` for worlds ``idx``: (len(idx), combos, C)."""
        from .solver import support
        mu = self.mu(idx)
        if not len(idx):
            return np.zeros((0, len(self.zone.combos), 1))
        return support(mu, self.zone.points(idx))[:, None, :] + self.L(idx) @ np.swapaxes(mu, 1, 2)

    def prepare(self, idx: np.ndarray, r: np.ndarray, protocol) -> None:
        """Add the facets ``protocol`` (a class of :mod:`sim.engine.protocols`) rests on in worlds ``idx``,
        by cutting planes, so that its point on the known facets is a point of the true feasible set.

        A point ``y`` is feasible when the width with reservations ``y`` is >= 0; where it is not, that
        width's certificate is a facet ``y`` violates, and it is added (finitely many facets: it ends)."""
        todo = np.asarray(idx)
        n = self.zone.worlds.ideal.shape[1]
        for w in todo:                  # each actor's best outcome bounds its gain (mu = e_i): no LP needed
            cache = self.cache.setdefault(int(w), lp.WorldCache())
            for e in np.eye(n):
                cache.add(e, 10 ** 6)
        for _ in range(4 * n + 8):
            if not len(todo):
                return
            problem = Problem(self.mu(todo), self.B(todo), self.feasible(todo), r[todo],
                              self.zone.worlds.discount[todo], self.zone.points(todo), self.L(todo))
            proto = protocol(len(todo), n)
            with np.errstate(all="ignore"):               # on too few facets a point may be unbounded
                _, y, combo = proto.strike(np.arange(len(todo)), problem)
                y = np.concatenate([y[:, None], proto.rests_on(np.arange(len(todo)))], axis=1)   # (m, P, n)
            P = y.shape[1]
            again = self.cut(np.repeat(todo, P), y.reshape(-1, n), np.repeat(combo, P))[1]
            todo = todo[again.reshape(-1, P).any(axis=1)]
        raise RuntimeError(f"cutting planes did not settle the deal in {len(todo)} worlds")

    def cut(self, w: np.ndarray, y: np.ndarray, combo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which points ``y`` lie outside their world's feasible utilities, adding the facet that shows it;
        and which of those facets were new (or the point unbounded), so that cutting should go on."""
        vc = self.zone.points(w)
        lost = ~np.isfinite(y)                     # unbounded on the known facets: ask for one that bounds it
        y = np.where(lost, 1e3, y)
        t, mu, _, _ = self._solve(w, vc, self.L(w)[np.arange(len(w)), combo] - y)
        outside = t < -1e-11
        again = outside.copy()
        for j in np.where(outside)[0]:
            cache = self.cache.setdefault(int(w[j]), lp.WorldCache())
            known = len(cache.verts)
            again[j] = cache.add(mu[j], 10 ** 6) == known or lost[j].any()   # a facet already known: done
        return outside, again
