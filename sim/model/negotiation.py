"""The Mesa model: one agent per actor, every world of the ensemble stepped at once.

A round, in order: (1) the world moves (scheduled events, battles); (2) each actor updates its position
(beliefs, reservation, red lines); (3) the ZOPA is computed exactly; (4) talks are open where every
actor's ``talks_when`` holds; (5) where talks are open and the ZOPA is not empty the protocol strikes a
deal, which ends that world. Round 0 is the scenario as written, before any movement.

The model only orders the round: the zone is the solver's (:class:`sim.engine.solver.Zone`), the deal the
protocol's, events are applied by :mod:`sim.events`, and each actor's state belongs to its agent.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np

from .. import events
from ..engine import solver
from ..engine.protocols import PROTOCOLS, Concession
from ..engine.terms import terms_for, utilities_at
from ..scenario.schema import Scenario
from .agents import ActorAgent
from .ledger import Ledger
from .worlds import build_worlds, round_dates, stream_seed

__all__ = ["NegotiationModel", "ActorAgent", "seed_sequence", "memory_estimate", "check_memory"]


def memory_estimate(spec: Scenario, runs: int, *, history: bool) -> int:
    """Bytes a run of ``runs`` worlds is expected to peak at: the per-world arrays, the zone's tables
    and, with ``history``, every round's state and the table made from it."""
    n = len(spec.actors)
    levels = [len(v.levels) for v in spec.issues.values() if v.is_levels]
    kc, kl = len(spec.issues) - len(levels), len(levels)
    combos = int(np.prod(levels)) if levels else 1
    per = 8 * n * (5 * kc + kl + 12) + n * sum(levels) + 400
    zone = solver.footprint(runs, n, kc, combos, solver.choose_method(n, kc))
    rounds = spec.horizon + 1
    hist = rounds * (8 * n + 40) * 4 if history else 0
    return 2 * (runs * per + zone) + runs * hist + 200 * 2 ** 20


def check_memory(spec: Scenario, runs: int, *, history: bool) -> None:
    """Refuse, before anything is built, a run that would not fit in the machine's available memory."""
    need, have = memory_estimate(spec, runs, history=history), solver.available_memory()
    if need <= have:
        return
    one = max(1, (need - 200 * 2 ** 20) // runs)
    fit = max(0, (have - 200 * 2 ** 20) // one)
    hint = " or without history (history=False, zopa run --no-history)" if history else ""
    raise solver.SizeError(
        f"runs: found {runs:,} worlds needing about {need / 2 ** 30:.1f} GB ({one / 2 ** 10:.0f} kB a world), "
        f"expected at most {fit:,} with the {have / 2 ** 30:.1f} GB available; run fewer worlds{hint}, "
        "or split the run over seeds")


def seed_sequence(rng) -> np.random.SeedSequence:
    """The root of every draw, from what a user or Mesa passes: a SeedSequence, a whole number >= 0, a
    string of digits (Mesa's seed box), or None for a fresh one."""
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, str) and rng.strip().isdigit():
        rng = int(rng.strip())
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0):
        return np.random.SeedSequence(None if rng is None else int(rng))
    raise ValueError(f"rng: found {rng!r}, expected a whole number >= 0, a string of digits or a SeedSequence")


def _scenario(scenario, overrides: dict) -> Scenario:
    from ..scenario import load_scenario

    if isinstance(scenario, (str, Path)):
        return load_scenario(scenario, overrides or None)
    if overrides:
        if not scenario.file:
            raise ValueError("overrides need a scenario read from a file: pass its path")
        return load_scenario(scenario.file, overrides)
    return scenario


class NegotiationModel(mesa.Model):
    """Steps ``runs`` independent worlds of a scenario; all state is held in numpy arrays.

    Parameters
    ----------
    scenario : Scenario, or the path of a scenario file
    runs : int, keyword-only
        Worlds simulated at once.
    rng : int, str of digits, numpy.random.SeedSequence or None, keyword-only
        Seed of the one SeedSequence tree every draw comes from (``seed`` is accepted too, as Mesa's
        ``batch_run`` and visualisation pass it).
    history : bool, keyword-only
        Keep every round's per-world state in ``history`` (for :func:`sim.simulate`'s history table).
    **overrides
        Flat dotted keys, as with ``--set``: ``NegotiationModel("s.yaml", **{"actors.a.reservation": 0.2})``,
        which is how ``mesa.batch_run`` varies parameters.
    """

    def __init__(self, scenario, *, runs: int = 1, rng=None, seed=None, history: bool = True, **overrides):
        if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or runs < 1:
            raise ValueError(f"runs: found {runs!r}, expected a whole number >= 1")
        root = seed_sequence(rng if rng is not None else seed)
        battles = stream_seed(root, "battlefield.battles")
        super().__init__(rng=battles)
        self.reset_rng(battles)        # Mesa drew from its generator to seed ``random``: start it afresh
        # the scenario is ``spec``: mesa 3.5 reserves ``Model.scenario`` for its own scenario objects
        self.spec = _scenario(scenario, overrides)
        self.runs, self.root, self.overrides = int(runs), root, dict(overrides)
        check_memory(self.spec, self.runs, history=history)
        self.worlds = wd = build_worlds(self.spec, self.runs, root)
        self.dates = round_dates(self.spec.calendar.start, self.spec.calendar.step, self.spec.horizon + 1)
        self.round = 0
        self.a_wins = np.zeros(self.runs)
        self.fought = np.zeros(self.runs)
        self.net_a_losses = np.zeros(self.runs)
        self.open_streak = np.zeros(self.runs, dtype=int)
        self.active = np.ones(self.runs, dtype=bool)
        self.zone = solver.Zone(wd)
        self.actor_agents = [ActorAgent(self, a, i) for i, a in enumerate(wd.actors)]
        self.deal = Ledger(self.runs, len(wd.actors), len(wd.range_issues), len(wd.level_issues))
        self.concession = Concession(self.runs, len(wd.actors), self.spec.concession_step) \
            if self.spec.protocol == "concession" else None
        self.history: list[dict] = []
        self.keep_history = history
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "round": "round",
                "zopa_open": lambda m: float(m.last["zopa_open"].mean()),
                "talks": lambda m: float(m.last["talks"].mean()),
                "agreed": lambda m: float(m.deal.agreed.mean()),
            },
            agent_reporters={
                "actor": "actor_id",
                "reservation": lambda a: float(np.mean(a.reservation)),
                "belief": lambda a: float(np.mean(a.belief)) if not np.isnan(a.belief).all() else None,
            })
        self._events_now()          # events dated on the start date are part of the scenario as written
        self._evaluate()

    # ------------------------------------------------------------------ one round
    def step(self) -> None:
        """One round for every world still negotiating; nothing once the run has ended."""
        if not self.running:
            return
        self.round += 1
        self._world_moves()
        self.agents.do("update")
        self._evaluate()
        if self.round >= self.spec.horizon or not self.active.any():
            self.running = False

    def _events_now(self) -> None:
        for rnd, path, values in self.worlds.events:
            if rnd == self.round and events.apply(self.worlds, path, values):
                self.zone.stale[:] = True

    def _world_moves(self) -> None:
        wd = self.worlds
        self._events_now()
        if wd.battles:
            wins = self.rng.binomial(wd.battles, wd.p_a)
            self.a_wins += wins
            self.fought += wd.battles
            self.net_a_losses += wd.battles - 2 * wins

    def reservations(self) -> np.ndarray:
        """Reservation utility of every actor in every world this round: (W, n)."""
        return np.stack([a.reserve() for a in self.actor_agents], axis=1)

    def _evaluate(self) -> None:
        r = self.reservations()
        v = self.zone.evaluate(r, self.active)
        self.open_streak = np.where(v.open, self.open_streak + 1, 0)
        talks = np.logical_and.reduce([a.talks() for a in self.actor_agents]) & self.active
        self.last = {"zopa_open": v.open, "zopa_width": v.t, "talks": talks, "blocking": v.blocking,
                     "reservation": r}
        self.deal.note_open(self.round, v.open, talks)
        striking = np.where(talks & v.open & self.active)[0]
        self.zone.prepare(striking, r, self.spec.protocol)
        self._strike(striking, r)
        self.last["agreed"] = self.deal.agreed.copy()
        if self.keep_history:
            self.history.append({k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.last.items()})
        self.datacollector.collect(self)

    def _strike(self, idx, r) -> None:
        if not len(idx):
            return
        z = self.zone
        mu, B, feas, rr = z.mu[idx], np.swapaxes(z.B[idx], 1, 2), z.feasible[idx], r[idx]
        if self.concession is not None:
            self.concession.start(idx, mu, B, feas, rr, points=z.points(idx), level_utils=z.L[idx])
            agreed, y, combo = self.concession.advance(idx, rr)
            idx, y, combo = idx[agreed], y[agreed], combo[agreed]
        else:
            y, combo = PROTOCOLS[self.spec.protocol](mu, B, feas, rr, discount=self.worlds.discount[idx],
                                                         points=z.points(idx), level_utils=z.L[idx])
        if len(idx):
            self._record(idx, y, combo, r[idx])

    def _record(self, idx, y, combo, r) -> None:
        wd, z = self.worlds, self.zone
        L = z.L[idx, combo]
        a, b = z.box[0][idx], z.box[1][idx]
        x = terms_for(y, L, wd.w_range[idx], wd.ideal[idx], wd.span[idx], a, b)
        u = utilities_at(x, wd.w_range[idx], wd.ideal[idx], wd.span[idx], L)
        self.deal.record(idx, self.round, x, z.combos[combo], u, r)
        self.active[idx] = False
