"""The actors: each Mesa agent owns its per-world state as arrays, one entry per world."""

from __future__ import annotations

import mesa
import numpy as np

from ..conditions import State, holds
from .dynamics import round_cost
from .triggers import Book

__all__ = ["ActorAgent"]


class ActorAgent(mesa.Agent):
    """One actor across every world of the ensemble.

    Attributes (arrays with one entry per world)
    ----------
    reservation : what no deal is worth to the actor this round (Fearon's p - c, less erosion and the
        shifts of triggers in force).
    belief : the actor's expected chance of winning a battle (Beta posterior mean), NaN without a prior.
    cum_erosion : reservation lost to erosion so far.
    costs : costs of war accumulated so far (Fearon's c, see :mod:`sim.model.dynamics`).
    setbacks : net battles lost by the actor's side (0 for actors on no side).
    red_lo, red_hi : its red lines on the range issues, (W, kc); ``allowed`` per levels issue, (W, L).
    """

    def __init__(self, model, actor_id: str, index: int):
        super().__init__(model)
        wd = model.worlds
        self.actor_id, self.index = actor_id, index
        self.actor_spec = model.spec.actors[actor_id]
        a, b = wd.prior[index]
        self.belief = np.full(model.runs, np.nan if np.isnan(a) else a / (a + b))
        self.cum_erosion = np.zeros(model.runs)
        self.costs = np.zeros(model.runs)
        self.book = Book(wd.triggers[index], model.runs, layers=wd.dyn.layers)
        self.reservation = self.reserve()

    @property
    def setbacks(self) -> np.ndarray:
        m = self.model
        return m.net_a_losses * m.worlds.side[self.index]

    @property
    def red_lo(self) -> np.ndarray:
        return self.model.worlds.red_lo[:, self.index]

    @property
    def red_hi(self) -> np.ndarray:
        return self.model.worlds.red_hi[:, self.index]

    @property
    def allowed(self) -> list[np.ndarray]:
        return [al[:, self.index] for al in self.model.worlds.allowed]

    def update(self) -> None:
        """Learn from this round's battles, pay erosion, then fire or revert triggers (shifts among them)."""
        m, i, wd = self.model, self.index, self.model.worlds
        scale = m.erosion_scale          # a partial deal in force scales the costs of war (None: no partial deal)
        self.cum_erosion += _scaled(wd.erosion[:, i], scale)
        if wd.dyn.has_costs:             # memory * costs + this round's, the first product in place
            self.costs *= wd.dyn.cost_memory[:, i]
            self.costs += _scaled(round_cost(m, i), scale)
        if not np.isnan(wd.prior[i, 0]):
            wins = m.a_wins if wd.side[i] > 0 else m.fought - m.a_wins
            a, b = wd.prior[i]
            self.belief = (a + wins) / (a + b + m.fought)
        self.reserve()
        if self.book.bound:
            self.book.step(m, i, self.state())
            if self.book.shifted:            # a trigger moved the reservation in some worlds this round
                self.reserve()
                self.book.shifted = False

    def state(self) -> State:
        """What this actor's conditions can see this round."""
        m = self.model
        return State(m.runs, m.dates[m.round], m.open_streak, lambda: self.setbacks,
                     recent=m.recent, side=int(m.worlds.side[self.index]),
                     costs_of=lambda: self.cum_erosion + self.costs, belief=self.belief,
                     reservation=self.reservation, floor_of=lambda: m.floors.of(self.index), moved_of=m.moved,
                     aid=m.worlds.aid, failed_talks=m.deal.failed_talks, mediation=m.worlds.mediation)

    def reserve(self) -> np.ndarray:
        """This round's reservation in every world: a fixed value or p - c (Fearon 1995), less erosion."""
        base = self.model.worlds.base[:, self.index]
        r = _where_nan(base, self._war)
        if r is base:
            r = base.copy()
        r -= self.cum_erosion             # in place: each step's result is this call's own array
        r -= self.costs
        r += self.book.res_shift
        self.reservation = r
        return r

    def _war(self) -> np.ndarray:
        """What fighting on is worth in every world, p - c (Fearon 1995): a new array."""
        wd, i = self.model.worlds, self.index
        return _where_nan(wd.war_p[:, i], lambda: self.belief) - wd.war_cost[:, i]

    def talks(self) -> np.ndarray:
        """Where this actor's ``talks_when`` holds, unless a trigger in force opens or closes talks."""
        return self.book.talks(holds(self.model.worlds.talks_when[self.index], self.state()))


def _where_nan(x: np.ndarray, fill) -> np.ndarray:
    """``np.where(np.isnan(x), fill(), x)``, calling ``fill`` only if some entry of ``x`` is NaN and selecting
    only if some is not: an actor's reservation is a fixed value in every world or p - c in every world (and
    p a drawn value or a belief in every world) unless an event mixes them. May return ``x`` or what ``fill``
    returns, not a copy."""
    nan = np.isnan(x)
    if not nan.any():
        return x
    return fill() if nan.all() else np.where(nan, fill(), x)


def _scaled(x: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
    """``x`` times the erosion factor ``scale``, or ``x`` itself where there is none (a factor of 1)."""
    return x if scale is None else x * scale
