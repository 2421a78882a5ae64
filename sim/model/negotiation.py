"""The Mesa model: one agent per actor, every world of the ensemble stepped at once.

A round, in order: (1) the world moves (scheduled events, settlements that break down, battles);
(2) each actor updates its position (beliefs, reservation, red lines); (3) the ZOPA is computed exactly;
(4) talks are held where every actor's ``talks_when`` holds; (5) a round of talks settles every issue under
the protocol where the zone is open, else strikes a declared partial deal where that zone is open, else
fails. A settlement ends the fighting until it relapses. Round 0 is the scenario as written.

The model only orders the round: the zone is the solver's (:class:`sim.engine.solver.Zone`), the deal the
protocol's, events are applied by :mod:`sim.events`, and each actor's state belongs to its agent.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np

from .. import events
from ..conditions import Recent, longest_window
from . import draws, dynamics
from ..engine import solver
from ..engine.protocols import PROTOCOLS, Problem, holding
from ..engine.terms import settle
from ..scenario.schema import Scenario
from .agents import ActorAgent
from .ledger import STATES, Ledger, PositionLog
from .partial import IssueSubset
from .floors import Floors
from .triggers import event_target
from .worlds import build_worlds, round_dates, stream_seed

__all__ = ["NegotiationModel", "ActorAgent", "root_seed", "memory_estimate", "check_memory"]


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
    hist = rounds * (8 * n + 40 + 9 * n * (2 * kc + sum(levels) + 4)) * 4 if history else 0  # + red lines
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


def root_seed(rng) -> np.random.SeedSequence:
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


def _share(mask: np.ndarray) -> float:
    """``float(mask.mean())`` of a boolean array, as counting gives it (the same float, without a sum of floats)."""
    return np.count_nonzero(mask) / mask.size


class RoundView(dict):
    """The values of the round just evaluated (``model.last``); the blocking actors are found from the zone's
    verdict when first read, which a run without history does only in its last round."""

    def __init__(self, verdict: solver.Verdict, **values):
        super().__init__(**values)
        self.verdict = verdict

    def __missing__(self, key: str):
        if key != "blocking":
            raise KeyError(key)
        self[key] = value = self.verdict.blocking
        return value


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
        root = root_seed(rng if rng is not None else seed)
        battles = stream_seed(root, "battlefield.battles")
        super().__init__(rng=battles)
        self.reset_rng(battles)        # Mesa drew from its generator to seed ``random``: start it afresh
        # the scenario is ``spec``: mesa 3.5 reserves ``Model.scenario`` for its own scenario objects
        self.spec = _scenario(scenario, overrides)
        self.runs, self.root, self.overrides = int(runs), root, dict(overrides)
        check_memory(self.spec, self.runs, history=history is True)
        self.worlds = wd = build_worlds(self.spec, self.runs, root)
        self.dates = round_dates(self.spec.calendar.start, self.spec.calendar.step, self.spec.horizon + 1)
        self.round = 0
        # battles are whole numbers (drawn or observed): counted in 32 bits
        self.a_wins = np.zeros(self.runs, dtype=np.int32)
        self.fought = np.zeros(self.runs, dtype=np.int32)
        self.net_a_losses = np.zeros(self.runs, dtype=np.int32)
        # side A's net losses in the last rounds, as far back as a window condition looks
        self.recent = Recent(longest_window([b.when for bs in wd.triggers for b in bs] + list(wd.talks_when)),
                             self.runs)
        self.open_streak = np.zeros(self.runs, dtype=np.int32)
        self.active = np.ones(self.runs, dtype=bool)
        self.zone = solver.Zone(wd)
        self.floors = Floors(wd)      # what each actor's red lines can still deliver (trigger conditions)
        self.front_history = [] if wd.line is None or not history else [wd.line.copy()]   # with history
        self.actor_agents = [ActorAgent(self, a, i) for i, a in enumerate(wd.actors)]
        self.deal = Ledger(self.runs, len(wd.actors), len(wd.range_issues), len(wd.level_issues))
        self.protocol = self._protocol()
        self.partial_zones = {name: solver.Zone(IssueSubset(wd, p.range_idx, p.level_idx))
                              for name, p in wd.partial.items()}
        self.partial_protocols = {name: self._protocol() for name in wd.partial}
        self.in_partial = np.full(self.runs, -1, dtype=np.int16)     # the partial deal in force, -1 where none
        self.partial_rng = np.random.default_rng(stream_seed(root, "partial_deals.battles"))
        self.relapse_rng = np.random.default_rng(stream_seed(root, "relapse.draws"))
        self.relapsed_now = np.zeros(self.runs, dtype=bool)
        self.erosion_scale = self.erosion_factor()     # this round's erosion_factor, as actors read it
        self.history: list[dict] = []
        self.keep_history = history is True
        # red lines and triggers in force per round: every round with a history, the last one where the
        # history is streamed (history="stream": rows are taken round by round by an observer)
        self.positions = PositionLog(self.spec, wd, keep=1 if history == "stream" else None) if history else None
        self.observers: list = []       # objects whose observe(model) is called after every step
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "round": "round",
                "zopa_open": lambda m: _share(m.last["zopa_open"]),
                "talks": lambda m: _share(m.last["talks"]),
                "agreed": lambda m: _share(m.deal.agreed),
            },
            agent_reporters={
                "actor": "actor_id",
                "reservation": lambda a: float(np.mean(a.reservation)),
                "belief": lambda a: float(np.mean(a.belief)) if not np.isnan(a.belief).all() else None,
            })
        self._events_now()          # events dated on the start date are part of the scenario as written
        self.reservations()         # which may move reservations: each actor's is read from here on
        self._evaluate()

    def _protocol(self):
        """A fresh instance of the scenario's protocol (concession keeps per-world state in it)."""
        return PROTOCOLS[self.spec.protocol](self.runs, len(self.worlds.actors), step=self.spec.concession_step)

    def red_lines_moved(self, where, actor: int | None = None) -> None:
        """Mark worlds whose red lines moved (a mask, indices, or True for all), for every zone (the full one
        and each partial deal's) and the floors of ``actor`` (whose red lines they are; None: every actor)."""
        for zone in (self.zone, *self.partial_zones.values()):
            zone.stale[where] = True
        self.floors.moved(where, actor)

    # ------------------------------------------------------------------ one round
    def step(self) -> None:
        """One round for every world still negotiating; nothing once the run has ended."""
        if not self.running:
            return
        self.round += 1
        self._world_moves()
        self.erosion_scale = self.erosion_factor()      # read by every actor's update
        self.agents.do("update")
        self._evaluate()
        for observer in self.observers:
            observer.observe(self)
        done = not self.active.any() and self.worlds.relapse is None
        if self.round >= self.spec.horizon or done:
            self.running = False

    def _events_now(self) -> None:
        wd = self.worlds
        for rnd, path, values in wd.events:
            if rnd != self.round:
                continue
            if events.apply(wd, path, values):
                self.red_lines_moved(True)
            key = event_target(wd, path)
            if key is not None:
                wd.dyn.layers.overwrite(wd, key)

    def _world_moves(self) -> None:
        wd = self.worlds
        self._events_now()
        self._relapses()
        observed = dynamics.scripted(self)
        net = np.zeros(self.runs)
        if wd.battles:
            fought = wd.battles
            if observed is None and (wd.partial or wd.relapse is not None):
                # partial deals and settlements stop battles (drawn from their own stream)
                fought = draws.binomial(self.partial_rng, wd.battles, self.battle_share())
            wins = observed if observed is not None else draws.binomial(self.rng, fought, dynamics.battle_odds(wd))
            self.a_wins += wins
            self.fought += fought
            net = fought - 2 * wins
            self.net_a_losses += net
        self.recent.push(net)
        dynamics.move_front(self, -net)
        if wd.line is not None and self.keep_history:
            self.front_history.append(wd.line.copy())

    def moved(self) -> dict[str, np.ndarray]:
        """Every trigger's worlds in force, as ``'actor.trigger'`` (for ``moved`` conditions)."""
        return {k: v for a in self.actor_agents for k, v in a.book.in_force(a.actor_id).items()}

    def battle_share(self) -> np.ndarray:
        """Share of battles fought this round: 1 at war, the partial deal's share while one holds, 0 settled."""
        return np.where(self.active, np.clip(self._under_partial("battles"), 0.0, 1.0), 0.0)

    def erosion_factor(self) -> np.ndarray | None:
        """Factor on every actor's erosion this round: 1 at war, the partial deal's factor while one holds;
        None where the scenario declares no partial deal (1 in every world: ``x * 1.0`` is ``x``)."""
        return self._under_partial("erosion") if self.worlds.partial else None

    def _under_partial(self, name: str):
        """Each world's value of the partial deals' field ``name`` while one holds, 1 where none does (an
        array from the first partial deal on)."""
        value = 1.0
        for k, p in enumerate(self.worlds.partial.values()):
            value = np.where(self.in_partial == k, getattr(p, name), value)
        return value

    def _relapses(self) -> None:
        """Settlements break down with their per-round hazard (Fearon 1995; Powell 2006; Walter 2002)."""
        rel = self.worlds.relapse
        if rel is None:
            return
        u = self.relapse_rng.random(self.runs)
        factor = rel.factor[self.deal.levels[:, rel.guarantee_issue]] if rel.guarantee_issue is not None else 1.0
        self.relapsed_now = ~self.active & (u < rel.hazard * factor)
        self.deal.record_relapse(self.relapsed_now, self.round)
        self.active |= self.relapsed_now
        np.putmask(self.in_partial, self.relapsed_now, -1)

    @property
    def belief(self) -> np.ndarray:
        """Every actor's belief that its side wins a battle, in every world: (W, n), NaN without a prior."""
        return np.stack([a.belief for a in self.actor_agents], axis=1)

    def reservations(self) -> np.ndarray:
        """Reservation utility of every actor in every world this round: (W, n)."""
        return np.stack([a.reserve() for a in self.actor_agents], axis=1)

    def _evaluate(self) -> None:
        r = np.stack([a.reservation for a in self.actor_agents], axis=1)     # as each actor's update left it
        v = self.zone.evaluate(r, self.active)
        self.open_streak = np.where(v.open, self.open_streak + 1, 0)
        talks = np.logical_and.reduce([a.talks() for a in self.actor_agents]) & self.active
        self.last = RoundView(v, zopa_open=v.open, zopa_width=v.t, talks=talks, reservation=r)
        self.deal.note_open(self.round, v.open, talks)
        striking = np.where(talks & v.open & self.active)[0]
        self.zone.prepare(striking, r, self.spec.protocol)
        for part in self.zone.deal_parts(striking, r, widest=self.protocol.widest):
            self._record(self._strike(self.zone, part, r, self.protocol))
        struck = self._partials(talks & self.active, r)
        self.deal.note_failed(talks & self.active & ~struck)
        self.last["agreed"] = self.deal.agreed.copy()
        self.last["state"] = self.states(talks)
        if self.keep_history:
            self.last["blocking"] = v.blocking        # every round's is kept: found now, not when first read
            self.history.append({k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.last.items()})
        if self.positions is not None:
            self.positions.note(self)
        self.datacollector.collect(self)

    def states(self, talks: np.ndarray) -> np.ndarray:
        """What each world is doing this round, as an index into :data:`STATES`."""
        state = talks.astype(np.int8)           # each later state overrides the one before, in place
        np.putmask(state, self.in_partial >= 0, 2)
        np.putmask(state, ~self.active, 3)
        np.putmask(state, self.relapsed_now, 4)
        return state

    def _strike(self, zone, tab, r, protocol):
        """The protocol's deal in the worlds of ``tab`` (:class:`sim.engine.solver.DealTables`) of ``zone``:
        (worlds agreed, utilities, combos among the tables', zone, r, their tables, the weights of the
        candidate points that give each deal or None, the utilities of those points)."""
        idx = tab.idx
        if not len(idx):
            return idx, None, None, zone, r, tab, None, None
        points = zone.points(idx)
        problem = Problem(tab.mu, tab.B, tab.feasible, r[idx], self.worlds.discount[idx], points, tab.L)
        agreed, y, combo, lam = protocol.strike_weighted(idx, problem)
        lam = None if lam is None else lam[agreed]
        points = points if agreed.all() else None      # a copy of some rows would be laid out otherwise
        return idx[agreed], y[agreed], combo[agreed], zone, r, tab.take(agreed), lam, points

    def _terms(self, struck):
        """Terms on the zone's issues that deliver the agreed utilities, on the best levels combination that
        can (the exact welfare maximum, so no outcome beats the deal): (worlds, x, combo, u, status)."""
        idx, y, combo, z, r, tab, lam, points = struck
        sub = z.worlds
        cand = holding(tab.mu, tab.B, tab.feasible, y, combo)
        x, combo, u, status = settle(y, cand, tab.L, sub.w_range[idx], sub.ideal[idx], sub.span[idx],
                                     z.box[0][idx], z.box[1][idx], floor=r[idx], weights=lam, points=points)
        return idx, x, tab.combos(combo), u, status

    def _record(self, struck) -> None:
        """A settlement where terms deliver it; a world no terms can settle ends with its reason in ``status``."""
        if not len(struck[0]):
            return
        idx, x, combo, u, status = self._terms(struck)
        ok = combo >= 0
        self.deal.record(idx[ok], self.round, x[ok], struck[3].combos[combo[ok]], u[ok], struck[4][idx][ok])
        self.deal.status[idx] = status
        self.active[idx] = False
        self.in_partial[idx] = -1

    def _partials(self, talking: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Where talks did not settle, strike the first declared partial deal whose zone is open."""
        struck = ~self.active & talking          # settled this round
        free = talking & self.active & (self.in_partial < 0)
        for k, (name, p) in enumerate(self.worlds.partial.items()):
            zone = self.partial_zones[name]
            r_p = r - p.deferred_value
            v = zone.evaluate(r_p, free, blocking=False)     # only where it is open matters here
            idx = np.where(free & v.open)[0]
            zone.prepare(idx, r_p, self.spec.protocol)
            proto = self.partial_protocols[name]
            for part in zone.deal_parts(idx, r_p, widest=proto.widest):
                self._record_partial(k, p, zone, self._strike(zone, part, r_p, proto), free, struck)
        return struck

    def _record_partial(self, k, p, zone, deal, free, struck) -> None:
        """Partial deal ``k`` (``p``) where ``deal`` struck one and terms deliver it."""
        if not len(deal[0]):
            return
        idx, x, combo, _, _ = self._terms(deal)
        ok = combo >= 0             # a partial deal no terms can deliver is simply not struck
        idx, x, levels = idx[ok], x[ok], zone.combos[combo[ok]]
        self.deal.record_partial(idx, self.round, k, p.range_idx, p.level_idx, x, levels)
        self.in_partial[idx] = k
        free[idx] = False
        struck[idx] = True
