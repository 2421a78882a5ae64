"""Partial deals: the zone on a subset of issues, the others deferred at their status quo.

The rule: a partial deal settles only its own issues. Every other issue stays where it stands (its
``status_quo``) and is negotiated later, so an actor's value of a partial deal is its utility on the
agreed issues plus the value of the status quo on the deferred ones, and it accepts where that beats its
reservation. Red lines bind only on the issues being agreed: a ceasefire line is not a border.
So the zone of a partial deal is the ordinary exact zone of the issue subset, with each actor's reservation
lowered by what the deferred status quo gives it (:class:`IssueSubset`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["IssueSubset"]


class IssueSubset:
    """The worlds seen through a subset of their issues: the arrays :class:`sim.engine.solver.Zone` reads,
    restricted to ``range_idx`` and ``level_idx``, and always current (red lines move)."""

    def __init__(self, worlds, range_idx: list[int], level_idx: list[int]):
        self.worlds, self.r_idx, self.l_idx = worlds, list(range_idx), list(level_idx)
        r = self.r_idx           # consecutive issues are taken as a slice: a view, not a copy every round
        self._take = slice(r[0], r[-1] + 1) if r and r == list(range(r[0], r[-1] + 1)) else r

    def __getattr__(self, name: str):
        # what does not depend on the issues (discount, actors, runs...) is the worlds' own
        return getattr(self.worlds, name)

    def _range(self, a: np.ndarray) -> np.ndarray:
        return a[:, :, self._take]

    @property
    def w_range(self):
        return self._range(self.worlds.w_range)

    @property
    def ideal(self):
        return self._range(self.worlds.ideal)

    @property
    def span(self):
        return self._range(self.worlds.span)

    @property
    def red_lo(self):
        return self._range(self.worlds.red_lo)

    @property
    def red_hi(self):
        return self._range(self.worlds.red_hi)

    @property
    def w_level(self):
        return self.worlds.w_level[:, :, self.l_idx]

    @property
    def level_vals(self):
        return [self.worlds.level_vals[j] for j in self.l_idx]

    @property
    def levels(self):
        return [self.worlds.levels[j] for j in self.l_idx]

    @property
    def allowed(self):
        return [self.worlds.allowed[j] for j in self.l_idx]
