"""What an actor's own red lines can still deliver: the worst outcome inside them, per world (the floor a
``reservation_below_red_lines`` condition compares the reservation with), and the floors kept between rounds.
"""

from __future__ import annotations

import numpy as np

from ..engine import solver

__all__ = ["Floors", "red_line_floor"]

PATTERN_LEVELS = 10      # levels issues of at most this many levels read their worst level from a table


def red_line_floor(wd, i: int) -> np.ndarray:
    """The worst utility actor ``i``'s own red lines still allow, per world: what its position can deliver
    (inf where they allow no level of some levels issue).

    On a range issue the worst outcome is the red line farther from the ideal. On a levels issue the worst
    allowed level is ``w * min(values allowed)`` (weights are not negative), and the minimum depends only
    on which levels are allowed: it is read from a table of every pattern. The issue of the front line, if
    any, is added last (:class:`Floors` keeps the rest between rounds)."""
    j = wd.dyn.front
    rest = _floor_part(wd, i, slice(None), skip=j)
    return rest if j is None else rest + _issue_floor(wd, i, slice(None), j)


def _issue_floor(wd, i: int, idx, k: int) -> np.ndarray:
    """Range issue ``k``'s part of actor ``i``'s floor in worlds ``idx``: its weight times the utility of
    the red line farther from its ideal."""
    # a column first, then its worlds: an index array across three axes takes numpy's slow path; every
    # step after the first two writes into their own arrays (the same values, fewer temporary arrays)
    ideal = wd.ideal[:, i, k][idx]
    worst, far = wd.red_lo[:, i, k][idx] - ideal, wd.red_hi[:, i, k][idx] - ideal
    np.abs(worst, out=worst)
    np.maximum(worst, np.abs(far, out=far), out=worst)
    worst /= wd.span[:, i, k][idx]
    np.subtract(1.0, worst, out=worst)
    worst *= wd.w_range[:, i, k][idx]          # w * x as x * w: a product does not depend on the order
    return worst


def _floor_part(wd, i: int, idx, *, skip: int | None, worst: list | None = None) -> np.ndarray:
    """Actor ``i``'s floor in worlds ``idx`` over every issue but range issue ``skip``; ``worst`` holds the
    :func:`_worst_of_patterns` table of each levels issue (None: built here)."""
    v = np.zeros(wd.ideal.shape[0] if isinstance(idx, slice) else len(idx))
    for k in range(wd.ideal.shape[2]):           # one issue at a time: a short axis's sum costs more
        if k != skip:
            v += _issue_floor(wd, i, idx, k)
    none = np.zeros(len(v), dtype=bool)
    for j, allowed in enumerate(wd.allowed):
        values = wd.level_vals[j][i]
        if len(values) > PATTERN_LEVELS:
            v += solver.fold(np.minimum, np.where(allowed[idx, i], wd.w_level[idx, i, j, None] * values, np.inf), 1)
            continue
        pattern = _patterns(allowed[:, i][idx])
        table = _worst_of_patterns(values) if worst is None else worst[j]
        v += wd.w_level[:, i, j][idx] * table[pattern]
        none |= pattern == 0
    v[none] = np.inf
    return v


class Floors:
    """Every actor's :func:`red_line_floor`, with the part that does not move with the front line kept
    between rounds: red lines follow the line in most worlds every round, while the other issues' red
    lines, the allowed levels and the weights move only when a trigger or an event moves them
    (:meth:`moved`, called wherever they do). The same values as :func:`red_line_floor`, bit for bit."""

    def __init__(self, worlds):
        self.worlds = worlds
        self.rest: dict[int, np.ndarray] = {}
        self.stale: dict[int, np.ndarray] = {}
        self.worst: dict[int, list] = {}        # actor -> its tables of worst levels (values never move)

    def moved(self, where, actor: int | None = None) -> None:
        """Red lines, allowed levels or weights of ``actor`` (None: of any) moved in worlds ``where`` (a
        mask, indices, or True)."""
        for i, stale in self.stale.items():
            if actor is None or i == actor:
                stale[where] = True

    def of(self, i: int) -> np.ndarray:
        """Actor ``i``'s floor in every world now (a new array)."""
        wd, j = self.worlds, self.worlds.dyn.front
        if i not in self.rest:
            self.worst[i] = [_worst_of_patterns(vals[i]) if len(vals[i]) <= PATTERN_LEVELS else None
                             for vals in wd.level_vals]
            self.rest[i] = _floor_part(wd, i, slice(None), skip=j, worst=self.worst[i])
            self.stale[i] = np.zeros(len(self.rest[i]), dtype=bool)
        elif self.stale[i].any():
            idx = np.flatnonzero(self.stale[i])
            self.rest[i][idx] = _floor_part(wd, i, idx, skip=j, worst=self.worst[i])
            self.stale[i][:] = False
        if j is None:
            return self.rest[i].copy()
        front = _issue_floor(wd, i, slice(None), j)
        front += self.rest[i]               # rest + front: a sum does not depend on the order
        return front


_BIT = 1 << np.arange(PATTERN_LEVELS)


def _patterns(allowed: np.ndarray) -> np.ndarray:
    """Each world's allowed levels (W, L) as one integer, bit l set where level l is allowed."""
    return allowed @ _BIT[:allowed.shape[1]]          # int64: one product, not one shift per level


def _worst_of_patterns(values: np.ndarray) -> np.ndarray:
    """The smallest of ``values`` (L,) among the levels of every pattern of :func:`_patterns` (0 for none)."""
    L = len(values)
    bits = (np.arange(2 ** L)[:, None] >> np.arange(L)) & 1
    return np.where(bits.any(axis=1), np.where(bits == 1, values, np.inf).min(axis=1), 0.0)
