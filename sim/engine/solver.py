"""The exact zone of possible agreement, for every world at once.

The width of the ZOPA is the value of the max-min linear programme

    t* = max_x min_i (u_i(x) - r_i)   over outcomes x inside every red line,

and by LP duality (the minimax theorem) it equals

    t* = max over levels combinations l of  min_{mu in simplex} [ H(mu) + mu.(L_l - r) ],

where ``H(mu) = sum_k max_{x_k in box_k} sum_i mu_i u_ik(x_k)`` is the support function of the
divisible issues and ``L_l`` the utilities of the indivisible (levels) issues. ``H`` is convex and
piecewise linear; its kinks lie on hyperplanes ``mu.(v_j - v_j') = 0`` between adjacent ideals on
each issue, which depend only on weights and ideals (clipping to red lines only merges cells). The
minimum over the simplex is therefore attained at a vertex of that arrangement, so the vertices are
enumerated once per (weights, ideals) and every round costs a matrix product and a minimum. Each
candidate ``mu`` gives an upper bound (weak duality) and the best one is exact.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import levels as _levels
from .dual import (NEG, TOL, blocking_mask, clipped_points, combo_feasible, combo_utilities, combos_allowed,
                   common_box, level_combos, redline_conflicts, support, width)
from .levels import DealTables
from .linalg import fold, rows
from .linalg import mv as _mv
from .lpworlds import LpWorlds, Rows
from .vertices import dual_candidates, point_utilities, point_values, subset_count

__all__ = [
    "Zone", "Verdict", "NEG", "dual_candidates", "support", "level_combos", "combo_utilities", "combo_feasible",
    "common_box", "clipped_points", "point_utilities", "width", "blocking_mask", "redline_conflicts",
    "SizeError", "choose_method", "footprint", "fold", "DealTables", "MAX_ACTORS", "ENUMERATE_MAX", "SEARCH_MIN",
]

MAX_ACTORS = 62            # blocking actors are reported as bits of one int64
# Subsets per world beyond which one LP per live world is cheaper. Measured by benchmarks/scale.py
# --methods (both methods back to back, processor seconds after a warm-up, 1,000 worlds): building the
# dual vertices costs about 3 microseconds a subset and world, a first LP about 0.2 ms a world, and the
# methods cross between 55 subsets (3 actors, 4 range issues: 0.14 s enumerated against 0.18 s) and 78
# (3 actors, 5 issues: 0.22 s against 0.18 s). Levels combinations do not move the crossing (each round
# both methods bound every combination): december-2022 (21 subsets, 9 combinations) runs faster enumerated.
ENUMERATE_MAX = 64
DENSE_MAX = 2 ** 30        # bytes of per-world tables beyond which they are built only for the worlds asked
# Levels combinations beyond which they are searched by branch and bound (:mod:`sim.engine.levels`) rather
# than tabulated; december-2022 (9 combinations) keeps the tables.
SEARCH_MIN = 64
DEAL_ROWS = 2_000_000      # (world, combination) rows of the tables one deal call gets, when searched
SEARCH_WORLDS = 20_000     # worlds searched at once
REFRESH_WORLDS = 100_000   # stale worlds refreshed at once (a refresh copies about 200 bytes a world)


class SizeError(ValueError):
    """A problem larger than the engine can hold: the message says the limit and what to change."""


def choose_method(n: int, kc: int) -> str:
    """``"enumerate"`` the dual vertices while there are at most ``ENUMERATE_MAX`` subsets to solve per
    world (:func:`subset_count`: 3 actors with up to 4 range issues, 4 with 1, any number with none,
    2 with up to 62), else ``"lp"``: the cheaper of the two, as measured (see ``ENUMERATE_MAX``)."""
    return "enumerate" if kc == 0 or subset_count(n, kc) <= ENUMERATE_MAX else "lp"


def footprint(W: int, n: int, kc: int, combos: int, method: str) -> int:
    """Bytes the zone holds for W worlds (an estimate: the candidate count is bounded, not known)."""
    if method == "lp":                                            # a simplex tableau per world, and the box
        return W * (8 * ((n + kc + 1) * (kc * n + n + 2) + 4 * n + 2 * kc) + 256)
    C = min(subset_count(n, kc), 8 * n * (kc + 1)) if kc else n
    per = 8 * (C * n + combos * (n + 2 * C) + 2 * kc + kc * n * n) + combos      # with the kept points
    return W * per if W * per <= DENSE_MAX and combos <= SEARCH_MIN else W * 8 * (C * n + 2 * kc + 1)


def available_memory() -> int:
    """Bytes the machine can still give (MemAvailable, else physical memory)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _check_size(n: int) -> None:
    if n > MAX_ACTORS:
        raise SizeError(f"actors: found {n}, expected at most {MAX_ACTORS} (blocking actors are kept as bits "
                        "of one 64-bit integer); merge actors that always act together")


@dataclass
class Verdict:
    """The zone of one round, per world: width ``t`` (-inf where red lines leave no outcome), whether it is
    open, the best levels combination, the dual certificate and the blocking actors as a bit mask.

    The blocking actors are found when first read (a run without history reads them only in its last
    round); read them before the zone evaluates again."""

    t: np.ndarray
    open: np.ndarray
    combo: np.ndarray
    cert: np.ndarray
    blocking_of: Callable[[], np.ndarray] = field(repr=False)

    @functools.cached_property
    def blocking(self) -> np.ndarray:
        return self.blocking_of()


class Zone:
    """The exact ZOPA of every world: the solver's one entry point.

    Built once for a set of worlds, it keeps what depends on red lines and recomputes it only for worlds
    marked ``stale`` when their red lines move. It chooses its method by problem size
    (:func:`choose_method`):

    - ``"enumerate"``: the dual vertices of each (weights, ideals) are listed once
      (:mod:`sim.engine.vertices`), and :meth:`evaluate` costs one matrix product and a minimum per live
      world. The facet table ``B`` (W, combos, C), ``L`` (W, combos, n) and ``feasible`` (W, combos) are
      arrays, or, when they would exceed ``DENSE_MAX`` bytes, built in chunks of live worlds and on demand.
      Beyond ``SEARCH_MIN`` levels combinations they are not tabulated at all: the best combination is
      found by branch and bound on the dual bound (:mod:`sim.engine.levels`), and a deal's tables
      (:meth:`deal_parts`) hold only the combinations that can carry a deal.
    - ``"lp"``: one small dual LP per live world and best combination, warm-started from the last round's
      basis (:mod:`sim.engine.lp`); ``mu``, ``B``, ``L`` and ``feasible`` are built on demand from the
      vertices each world has met (``zone.mu[idx]`` etc.), and :meth:`prepare` adds the facets a protocol
      needs before a deal.

    Parameters
    ----------
    worlds : an object with the per-world arrays of :class:`sim.model.worlds.Worlds` (``w_range``, ``ideal``,
        ``span``, ``w_level``, ``level_vals``, ``levels``, ``red_lo``, ``red_hi``, ``allowed``).
    method : ``"enumerate"``, ``"lp"`` or None (chosen by size), keyword-only.
    """

    def __init__(self, worlds, *, method: str | None = None):
        wd = self.worlds = worlds
        W, n, kc = wd.ideal.shape
        _check_size(n)
        self.combos = level_combos(wd.levels)
        self.method = method or choose_method(n, kc)
        self.box = (np.zeros((W, kc)), np.zeros((W, kc)))      # common box of the worlds with some outcome
        self.conflicts = np.zeros(W, dtype=np.min_scalar_type((1 << n) - 1))   # bits of n actors: few bytes
        self.conflicts_stale = np.zeros(W, dtype=bool)    # closed by red lines, conflicts not yet found
        self.any_feasible = np.zeros(W, dtype=bool)
        self.stale = np.ones(W, dtype=bool)
        self._generation = 0        # counts refreshes that moved something (a verdict reads it)
        self.dense = self.search = False
        if self.method == "lp":
            self._lp = LpWorlds(self, cap=2 * n + 8)
            self.mu, self.B = Rows(self._lp.mu), Rows(self._lp.B)
            self.L, self.feasible = Rows(self._lp.L), Rows(self._feasible)
            return
        self.mu = dual_candidates(wd.w_range, wd.ideal, wd.span)                 # (W, C, n)
        C = self.mu.shape[1]
        self.search = len(self.combos) > SEARCH_MIN
        if self.search:
            self.best = np.zeros(W, dtype=np.int64)         # each world's last best combination
        self.dense = not self.search and W * 8 * len(self.combos) * (n + 2 * C + 1) <= DENSE_MAX
        if self.dense:
            self.L = combo_utilities(wd.w_level, wd.level_vals, self.combos)     # (W, combos, n)
            self.muL = self.L @ np.swapaxes(self.mu, 1, 2)                       # (W, combos, C)
            self.B = np.zeros((W, len(self.combos), C))
            self.feasible = np.zeros((W, len(self.combos)), dtype=bool)
            self.values = np.zeros((W, n, n, kc))          # point_values at each world's last refresh
        else:
            self.L, self.B, self.feasible = Rows(self._L), Rows(self._B), Rows(self._feasible)

    # ---------------------------------------------------------------- tables built on demand
    def _L(self, idx) -> np.ndarray:
        wd = self.worlds
        return combo_utilities(wd.w_level[idx], wd.level_vals, self.combos)

    def _B(self, idx) -> np.ndarray:
        return self.support_values(idx)[:, None, :] + self._L(idx) @ np.swapaxes(self.mu[idx], 1, 2)

    def support_values(self, idx) -> np.ndarray:
        """``H`` at every dual candidate of the worlds ``idx`` (refreshed ones: their box is current), (len(idx), C).
        Tables built on demand compute it with them rather than hold it for every world: it costs about as much
        as the tables it enters, and holding it cost 8 bytes a candidate and world."""
        return support(self.mu[idx], self.points(idx))

    def _feasible(self, idx) -> np.ndarray:
        return combo_feasible([rows(al, idx) for al in self.worlds.allowed], self.combos, rows(self.box[0], idx),
                              rows(self.box[1], idx))

    def _chunk(self) -> int:
        if self.search:                        # no per-combination table is built
            return SEARCH_WORLDS
        C = self.mu.shape[1] if isinstance(self.mu, np.ndarray) else 1
        return max(1, 4_000_000 // (len(self.combos) * (C + self.worlds.ideal.shape[1])))

    # ---------------------------------------------------------------- the interface
    def refresh(self, where=None) -> None:
        """Recompute what depends on red lines for the stale worlds, or only for those among ``where``
        (the others stay stale until they are looked at: a refresh is a function of the current red
        lines alone, so when it runs does not change what it gives).

        Only the values move with red lines (the common box, and the support ``H`` and feasibility it
        gives); the dual candidates do not. Worlds whose red lines leave no outcome are marked closed, and
        their box and blocking actors are found when a verdict asks for them (:meth:`_find_conflicts`):
        nothing else of theirs is read until their red lines move again.
        """
        todo = self.stale if where is None else self.stale & where
        if not todo.any():
            return
        self._generation += 1
        stale = np.where(todo)[0]
        for s in range(0, len(stale), REFRESH_WORLDS):      # each world's values are its own: chunks bound
            self._refresh(stale[s:s + REFRESH_WORLDS])      # the copies of red lines a refresh takes

    def _refresh(self, w: np.ndarray) -> None:
        """:meth:`refresh` for the stale worlds ``w``."""
        wd = self.worlds
        a, b = common_box(rows(wd.red_lo, w), rows(wd.red_hi, w))
        # Some outcome: the box is not empty and, as combinations are a product set, some level is allowed by
        # all on every levels issue. The levels are looked at only where the box is not empty: most stale
        # worlds have it empty (red lines that follow the line).
        ok = fold(np.logical_and, a <= b + TOL, 1)
        some = np.flatnonzero(ok)
        every = [fold(np.logical_and, rows(al, w[some]), 1) for al in wd.allowed]    # levels all actors allow
        shared = np.ones(len(some), dtype=bool)
        for ev in every:
            shared &= fold(np.logical_or, ev, 1)
        ok[some] = shared
        was = self.any_feasible[w]
        self.any_feasible[w] = ok
        bad = ~ok
        at = some[shared]                      # the few worlds with some outcome, not a mask over all
        good, a, b = w[at], a[at], b[at]
        self._set_box(good, a, b)
        self.conflicts_stale[w] = bad          # the box and blocking actors: found when a verdict asks
        if self.method == "lp":
            self._lp.forget(w)
        self._refresh_tables(good, [ev[shared] for ev in every], a, b)
        if self.method == "enumerate" and self.dense:      # a world closed before has no feasible row left
            self.feasible[w[bad & was]] = False
        self.stale[w] = False

    def _set_box(self, w: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        """The common box ``[a, b]`` of worlds ``w``, a column at a time: rows of a few entries scatter slowly."""
        for k in range(a.shape[1]):
            self.box[0][w, k], self.box[1][w, k] = a[:, k], b[:, k]

    def _refresh_tables(self, w: np.ndarray, every: list[np.ndarray], a: np.ndarray, b: np.ndarray) -> None:
        """The method's tables for worlds ``w`` with some outcome inside every red line, box ``[a, b]``, and
        ``every`` the levels all actors allow on each levels issue."""
        if not self.dense or not len(w):          # otherwise built when asked (support_values, _B)
            return
        wd = self.worlds
        ideal = rows(wd.ideal, w)
        values = point_values(rows(wd.w_range, w), ideal, rows(wd.span, w), clipped_points(ideal, a, b))
        self.values[w] = values
        self.B[w] = support(self.mu[w], values.transpose(0, 3, 1, 2))[:, None, :] + self.muL[w]
        self.feasible[w] = combos_allowed(every, self.combos, len(w))     # the box is not empty here

    def points(self, idx) -> np.ndarray:
        """Utilities of the clipped candidate points of every range issue, worlds ``idx``: (W, kc, j, n).
        With the tables held whole, those of each world's last refresh are kept (a protocol reads them for the
        worlds with some outcome, refreshed in the same round: their box, weights and ideals are as then)."""
        if self.dense:
            return rows(self.values, idx).transpose(0, 3, 1, 2)
        wd = self.worlds
        ideal = rows(wd.ideal, idx)
        pts = clipped_points(ideal, rows(self.box[0], idx), rows(self.box[1], idx))
        return point_utilities(rows(wd.w_range, idx), ideal, rows(wd.span, idx), pts)

    def _find_conflicts(self, where: np.ndarray) -> None:
        """The box and the actors whose red lines conflict, in the worlds ``where`` that red lines close."""
        todo, wd = np.flatnonzero(where & self.conflicts_stale), self.worlds
        for s in range(0, len(todo), REFRESH_WORLDS):       # copies of red lines, in chunks as a refresh takes them
            w = todo[s:s + REFRESH_WORLDS]
            lo, hi = rows(wd.red_lo, w), rows(wd.red_hi, w)
            a, b = common_box(lo, hi)
            self._set_box(w, a, b)
            self.conflicts[w] = redline_conflicts(lo, hi, [rows(al, w) for al in wd.allowed], a, b)
            self.conflicts_stale[w] = False

    def _widths(self, live: np.ndarray, r: np.ndarray):
        """Width, best combination and the certificate (a dual vertex, (len(live), n)) of the live worlds."""
        if self.method == "lp":
            t, combo, cert = self._lp.evaluate(live, r)
            mu = np.array([self._lp.cache[int(w)].verts[c] for w, c in zip(live, cert)]).reshape(len(live), -1)
            return t, combo, cert, mu
        if self.dense:
            mu = self.mu[live]
            t, combo, cert = width(mu, self.B[live], self.feasible[live], r[live])
            return t, combo, cert, mu[np.arange(len(live)), cert]
        out = [np.empty(len(live)), np.zeros(len(live), dtype=int), np.zeros(len(live), dtype=int)]
        step = SEARCH_WORLDS if self.search else self._chunk()
        for s in range(0, len(live), step):
            idx = live[s:s + step]
            if self.search:
                res = _levels.best(*self._levels(idx, r), start=self.best[idx])
                self.best[idx] = res[1]
            else:
                res = width(self.mu[idx], self._B(idx), self._feasible(idx), r[idx])
            for o, v in zip(out, res):
                o[s:s + step] = v
        return (*out, self.mu[live, out[2]])

    def _levels(self, idx, r):
        """The search's inputs for worlds ``idx`` (live): ``H - mu . r``, the level tables, the allowed levels."""
        wd, mu = self.worlds, self.mu[idx]
        A = np.ascontiguousarray((self.support_values(idx) - _mv(mu, r[idx])).T)    # candidates first
        return A, _levels.level_tables(mu, wd.w_level[idx], wd.level_vals), \
            _levels.shared_levels([al[idx] for al in wd.allowed])

    def deal_parts(self, idx: np.ndarray, r: np.ndarray, *, widest: bool = False):
        """The tables a protocol reads for the open worlds ``idx`` at reservations ``r``, as
        :class:`DealTables` in parts of bounded size: one part with every combination when they are few;
        when they are searched, only the combinations that can carry the protocol's deal
        (:func:`sim.engine.levels.near`; with ``widest``, as for egalitarian, those of the widest)."""
        if not self.search:
            yield DealTables(idx, self.mu[idx], self.B[idx], self.feasible[idx], self.L[idx])
            return
        step = SEARCH_WORLDS if widest else max(1, DEAL_ROWS // len(self.combos))
        for s in range(0, len(idx), step):
            part = idx[s:s + step]
            w, code = _levels.near(*self._levels(part, r), start=self.best[part], widest=widest)
            yield from _levels.split(part, w, code, self, rows=DEAL_ROWS)

    def evaluate(self, r: np.ndarray, active: np.ndarray, *, blocking: bool = True) -> Verdict:
        """The zone for reservations ``r`` (W, n); worlds not ``active`` (settled) are left closed.

        Work follows the live worlds (active, with some outcome inside every red line): the others are
        not looked at, and their LP state, if any, is freed. With ``blocking=False`` the verdict's blocking
        actors are left 0 (for callers that only need the width).
        """
        self.refresh(active)
        W, n = r.shape
        live = np.where(active & self.any_feasible)[0]
        if self.method == "lp":
            self._lp.drop([w for w in self._lp.cache if not active[w]])
        t = np.full(W, NEG)
        combo = np.zeros(W, dtype=int)
        cert = np.zeros(W, dtype=int)
        mu = np.zeros((0, n))
        if len(live):
            t[live], combo[live], cert[live], mu = self._widths(live, r)
        closed, t_live, generation = active & ~self.any_feasible, t[live], self._generation

        def blocking_of() -> np.ndarray:
            if not blocking:
                return np.zeros(W, dtype=int)
            if self._generation != generation or self.stale[closed].any():
                raise RuntimeError("blocking actors read after red lines moved: read them before the zone "
                                   "evaluates again")
            self._find_conflicts(closed)
            out = np.where(closed, self.conflicts, 0).astype(np.int64)
            out[live] = np.where(t_live < 0, (mu > 1e-9) @ (1 << np.arange(n)), 0)
            return out

        return Verdict(t, t >= -1e-9, combo, cert, blocking_of)

    def prepare(self, idx: np.ndarray, r: np.ndarray, protocol: str) -> None:
        """Before a deal in worlds ``idx`` under ``protocol``: with the LP method, add the facets the
        protocol's point rests on (cutting planes, :meth:`sim.engine.lpworlds.LpWorlds.prepare`), so
        ``mu`` and ``B`` describe the feasible utilities where the deal is. Nothing to do otherwise."""
        if self.method != "lp" or not len(idx):
            return
        from .protocols import PROTOCOLS
        self._lp.prepare(np.asarray(idx), r, PROTOCOLS[protocol])

    def separate(self, idx: np.ndarray, y: np.ndarray, combo: np.ndarray) -> np.ndarray:
        """Which utility points ``y`` (len(idx), n) lie outside the feasible utilities of combination
        ``combo`` in worlds ``idx``; with the LP method the facet each violates is added to what ``mu`` and
        ``B`` show (a separation oracle for protocols that iterate, such as concession)."""
        if self.method == "lp":
            return self._lp.cut(np.asarray(idx), y, np.asarray(combo))[0]
        mu, B = self.mu[idx], (self.B[idx] if self.dense else self._B(idx))
        slack = B[np.arange(len(idx)), combo] - (mu @ y[:, :, None])[:, :, 0]
        return (slack < -1e-11).any(axis=1)
