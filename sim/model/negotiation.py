"""The Mesa model: one agent per actor, every world of the ensemble stepped at once.

A round, in order: (1) the world moves (scheduled events, battles); (2) each actor updates its position
(beliefs, reservation, red lines); (3) the ZOPA is computed exactly; (4) talks are open where every
actor's ``talks_when`` holds; (5) where talks are open and the ZOPA is not empty the protocol strikes a
deal, which ends that world. Round 0 is the scenario as written, before any movement.
"""

from __future__ import annotations

import mesa
import numpy as np

from ..engine import solver as zopa
from ..conditions import Condition
from ..engine.protocols import PROTOCOLS, Problem, holding
from ..scenario.schema import RedLine, Scenario
from ..engine.terms import settle
from .worlds import allowed_mask, apply_red_lines, build_worlds, round_dates, stream

__all__ = ["NegotiationModel", "ActorAgent"]


class ActorAgent(mesa.Agent):
    """One actor; its state is column ``index`` of the model's per-world arrays."""

    def __init__(self, model: "NegotiationModel", actor_id: str, index: int):
        super().__init__(model)
        self.actor_id = actor_id
        self.index = index
        self.actor_spec = model.spec.actors[actor_id]
        self.shifted = [np.zeros(model.runs, dtype=bool) for _ in self.actor_spec.shifts]

    @property
    def setbacks(self) -> np.ndarray:
        """Net battles lost by this actor's side since the start (0 for actors on no side)."""
        m = self.model
        return m.net_a_losses * m.worlds.side[self.index]

    def update(self) -> None:
        """Move the reservation (beliefs, costs) and, after setbacks, the red lines."""
        m, i, wd = self.model, self.index, self.model.worlds
        m.cum_erosion[:, i] += wd.erosion[:, i]
        if not np.isnan(wd.prior[i, 0]):
            wins = m.a_wins if wd.side[i] > 0 else m.fought - m.a_wins
            a, b = wd.prior[i]
            m.belief[:, i] = (a + wins) / (a + b + m.fought)
        for s_i, (threshold, drawn) in enumerate(wd.shifts[i]):
            due = ~self.shifted[s_i] & (self.setbacks >= threshold)
            if due.any():
                apply_red_lines(wd, i, drawn, where=due)
                self.shifted[s_i] |= due
                m.changed |= due

    def talks(self) -> np.ndarray:
        return self.model.holds(self.actor_spec.talks_when, self)


class NegotiationModel(mesa.Model):
    """Steps ``runs`` independent worlds of a scenario; all state is held in numpy arrays.

    Parameters
    ----------
    scenario : Scenario
    runs : int, keyword-only
        Worlds simulated at once.
    rng : int, numpy.random.SeedSequence or None, keyword-only
        Seed of the one SeedSequence tree every draw comes from.
    """

    def __init__(self, scenario: Scenario, *, runs: int = 1, rng=None):
        root = rng if isinstance(rng, np.random.SeedSequence) else np.random.SeedSequence(rng)
        super().__init__(rng=stream(root, "mesa"))
        # the scenario is ``spec``: mesa 3.5 reserves ``Model.scenario`` for its own scenario objects
        self.spec, self.runs, self.root = scenario, runs, root
        self.worlds = wd = build_worlds(scenario, runs, root)
        self.battle_rng = stream(root, "battlefield.battles")
        self.dates = round_dates(scenario.calendar.start, scenario.calendar.step, scenario.horizon + 1)
        self.actor_agents = [ActorAgent(self, a, i) for i, a in enumerate(wd.actors)]
        n = len(wd.actors)
        self.round = 0
        self.a_wins = np.zeros(runs)
        self.fought = np.zeros(runs)
        self.net_a_losses = np.zeros(runs)
        self.cum_erosion = np.zeros((runs, n))
        self.belief = np.where(np.isnan(wd.prior[:, 0]), np.nan, wd.prior[:, 0] / wd.prior.sum(axis=1))
        self.belief = np.broadcast_to(self.belief, (runs, n)).copy()
        self.open_streak = np.zeros(runs, dtype=int)
        self.active = np.ones(runs, dtype=bool)
        self.deal = _Deal(runs, n, len(wd.range_issues), len(wd.level_issues))
        self.mu = zopa.dual_candidates(wd.w_range, wd.ideal, wd.span)
        self.combos = zopa.level_combos(wd.levels)
        self.L = zopa.combo_utilities(wd.w_level, wd.level_vals, self.combos)
        self.muL = self.L @ np.swapaxes(self.mu, 1, 2)             # (W, combos, C)
        self.protocol = PROTOCOLS[scenario.protocol](runs, n, step=scenario.concession_step)
        self.changed = np.ones(runs, dtype=bool)        # worlds whose red lines moved this round
        self.box = (np.zeros((runs, len(wd.range_issues))), np.zeros((runs, len(wd.range_issues))))
        self.B = np.zeros((runs, len(self.combos), self.mu.shape[1]))  # (W, combos, C)
        self.feasible = np.zeros((runs, len(self.combos)), dtype=bool)
        self.conflicts = np.zeros(runs, dtype=int)
        self.history: list[dict] = []
        self.datacollector = mesa.DataCollector(model_reporters={
            "round": "round",
            "zopa_open": lambda m: float(m.last["zopa_open"].mean()),
            "talks": lambda m: float(m.last["talks"].mean()),
            "agreed": lambda m: float(m.deal.agreed.mean()),
        })
        self._events_now()          # events dated on the start date are part of the scenario as written
        self._evaluate()

    # ------------------------------------------------------------------ one round
    def step(self) -> None:
        self.round += 1
        self._world_moves()
        self.agents.do("update")
        self._evaluate()
        if self.round >= self.spec.horizon or not self.active.any():
            self.running = False

    def _events_now(self) -> None:
        for rnd, path, values in self.worlds.events:
            if rnd == self.round:
                self._set(path, values)

    def _world_moves(self) -> None:
        wd = self.worlds
        self._events_now()
        if wd.battles:
            wins = self.battle_rng.binomial(wd.battles, wd.p_a)
            self.a_wins += wins
            self.fought += wd.battles
            self.net_a_losses += wd.battles - 2 * wins

    def _set(self, path: str, values) -> None:
        wd, parts = self.worlds, path.split(".")
        if parts[0] == "battlefield":
            wd.p_a = values
            return
        i = wd.actors.index(parts[1])
        if parts[2] == "erosion":
            wd.erosion[:, i] = values
        elif parts[2] == "reservation" and len(parts) == 3:
            wd.base[:, i], wd.war_p[:, i], wd.prior[i] = values, np.nan, np.nan
            wd.war_cost[:, i] = 0.0
        elif parts[2] == "reservation":
            wd.war_cost[:, i] = values
        elif parts[4] == "allowed":
            levels = wd.levels[wd.level_issues.index(parts[3])]
            mask = allowed_mask(RedLine(allowed=tuple(values)), levels)
            apply_red_lines(wd, i, {parts[3]: ("levels", mask)})
            self.changed[:] = True
        else:
            bound = ("range", values, None) if parts[4] == "min" else ("range", None, values)
            apply_red_lines(wd, i, {parts[3]: bound})
            self.changed[:] = True

    def reservations(self) -> np.ndarray:
        """Reservation utility of every actor in every world this round: (W, n)."""
        wd = self.worlds
        p = np.where(np.isnan(wd.war_p), self.belief, wd.war_p)
        war = p - wd.war_cost
        return np.where(np.isnan(wd.base), war, wd.base) - self.cum_erosion

    def _evaluate(self) -> None:
        if self.changed.any():
            self._refresh(np.where(self.changed)[0] if not self.changed.all() else slice(None))
            self.changed[:] = False
        r = self.reservations()
        # Worlds whose red lines leave no outcome, or that have a deal, need no LP: t* = -inf / done.
        live = np.where(self.active & self.feasible.any(axis=1))[0]
        t = np.full(self.runs, zopa.NEG)
        cert = np.zeros(self.runs, dtype=int)
        t[live], _, cert[live] = zopa.width(self.mu[live], self.B[live], self.feasible[live], r[live])
        is_open = t >= -1e-9
        self.open_streak = np.where(is_open, self.open_streak + 1, 0)
        talks = np.logical_and.reduce([a.talks() for a in self.actor_agents]) & self.active
        blocking = np.where(self.active, zopa.blocking_mask(self.mu, cert, t, self.feasible, self.conflicts), 0)
        self.last = {"zopa_open": is_open, "zopa_width": t, "talks": talks, "blocking": blocking,
                     "reservation": r}
        self._strike(talks & is_open, r)
        self.last["agreed"] = self.deal.agreed.copy()
        self.history.append({k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.last.items()})
        self.datacollector.collect(self)

    def _points(self, idx):
        """Utilities of the candidate points of every range issue, for worlds ``idx``: (W, kc, j, n)."""
        wd = self.worlds
        pts = zopa.clipped_points(wd.ideal[idx], self.box[0][idx], self.box[1][idx])
        return zopa.point_utilities(wd.w_range[idx], wd.ideal[idx], wd.span[idx], pts)

    def _refresh(self, w) -> None:
        """Recompute what depends on red lines, for the worlds ``w`` whose red lines moved."""
        wd = self.worlds
        a, b = zopa.common_box(wd.red_lo[w], wd.red_hi[w])
        self.box[0][w], self.box[1][w] = a, b
        pts = zopa.clipped_points(wd.ideal[w], a, b)
        vc = zopa.point_utilities(wd.w_range[w], wd.ideal[w], wd.span[w], pts)
        self.B[w] = zopa.support(self.mu[w], vc)[:, None, :] + self.muL[w]
        allowed = [al[w] for al in wd.allowed]
        self.feasible[w] = zopa.combo_feasible(allowed, self.combos, a, b)
        self.conflicts[w] = zopa.redline_conflicts(wd.red_lo[w], wd.red_hi[w], allowed, a, b)

    def _strike(self, ready: np.ndarray, r: np.ndarray) -> None:
        idx = np.where(ready & self.active)[0]
        self.deal.note_open(self.round, np.where(self.last["zopa_open"])[0], np.where(self.last["talks"])[0])
        if not len(idx):
            return
        problem = Problem(self.mu[idx], self.B[idx], self.feasible[idx], r[idx], self.worlds.discount[idx],
                          self._points(idx), self.L[idx])
        agreed, y, combo = self.protocol.strike(idx, problem)
        idx, y, combo = idx[agreed], y[agreed], combo[agreed]
        if len(idx):
            self._record(idx, y, combo, r[idx])

    def _record(self, idx, y, combo, r) -> None:
        """Terms for the agreed utilities; a world no terms can settle ends with its reason in ``status``."""
        wd = self.worlds
        cand = holding(self.mu[idx], self.B[idx], self.feasible[idx], y, combo)
        x, combo, u, status = settle(y, cand, self.L[idx], wd.w_range[idx], wd.ideal[idx], wd.span[idx],
                                     self.box[0][idx], self.box[1][idx])
        ok = combo >= 0
        self.deal.record(idx[ok], self.round, x[ok], self.combos[combo[ok]], u[ok], r[ok])
        self.deal.status[idx] = status
        self.active[idx] = False

    # ------------------------------------------------------------------ talks_when
    def holds(self, cond: Condition, agent: ActorAgent) -> np.ndarray:
        k, arg = cond.kind, cond.arg
        if k == "always":
            return np.ones(self.runs, dtype=bool)
        if k == "never":
            return np.zeros(self.runs, dtype=bool)
        if k == "zopa_open_for":
            return self.open_streak >= arg
        if k == "from":
            return np.full(self.runs, self.dates[self.round] >= np.datetime64(arg, "D"))
        if k == "setbacks_at_least":
            return agent.setbacks >= arg
        if k == "all":
            return np.logical_and.reduce([self.holds(c, agent) for c in arg])
        if k == "any":
            return np.logical_or.reduce([self.holds(c, agent) for c in arg])
        return ~self.holds(arg, agent)


class _Deal:
    """What was agreed, where and when."""

    def __init__(self, W, n, kc, kl):
        self.agreed = np.zeros(W, dtype=bool)
        self.round = np.full(W, -1)
        self.zopa_round = np.full(W, -1)
        self.talks_round = np.full(W, -1)
        self.x = np.full((W, kc), np.nan)
        self.levels = np.full((W, kl), -1)
        self.utility = np.full((W, n), np.nan)
        self.reservation = np.full((W, n), np.nan)
        self.status = np.full(W, "ok", dtype=object)    # or why a world's deal could not be settled

    def note_open(self, rnd, opened, talking):
        self.zopa_round[opened] = np.where(self.zopa_round[opened] < 0, rnd, self.zopa_round[opened])
        self.talks_round[talking] = np.where(self.talks_round[talking] < 0, rnd, self.talks_round[talking])

    def record(self, idx, rnd, x, levels, y, r):
        self.agreed[idx] = True
        self.round[idx] = rnd
        self.x[idx] = x
        self.levels[idx] = levels
        self.utility[idx] = y
        self.reservation[idx] = r
