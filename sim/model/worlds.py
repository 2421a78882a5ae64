"""Turn a validated scenario into arrays, one entry per simulated world.

Every distribution is sampled once per world from its own stream, keyed on the parameter's dotted
path, so changing one parameter (as a sweep does) leaves every other draw as it was.
"""

from __future__ import annotations

import datetime as dt
import weakref
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..conditions import bind
from ..events import schedule
from ..scenario.params import Param
from ..scenario.schema import Actor, LineRelative, RedLine, Scenario
from .dynamics import build_dynamics
from .triggers import bind_triggers

__all__ = ["Worlds", "Draws", "build_worlds", "stream", "stream_seed", "round_dates", "level_values",
           "sample_red_lines", "apply_red_lines", "allowed_mask"]


def stream_seed(root: np.random.SeedSequence, name: str) -> np.random.SeedSequence:
    """The seed of the independent stream for ``name``, derived from ``root`` (no global state)."""
    return np.random.SeedSequence(root.entropy, spawn_key=root.spawn_key + (zlib.crc32(name.encode()),))


def stream(root: np.random.SeedSequence, name: str) -> np.random.Generator:
    """An independent generator for ``name``, derived from ``root``."""
    return np.random.default_rng(stream_seed(root, name))


def round_dates(start: dt.date, step: str, rounds: int) -> np.ndarray:
    """Calendar date of rounds 0..rounds-1 as datetime64[D]."""
    base = np.datetime64(start, "D")
    t = np.arange(rounds)
    if step == "day":
        return base + t.astype("timedelta64[D]")
    if step == "week":
        return base + (7 * t).astype("timedelta64[D]")
    months = np.datetime64(start, "M") + t.astype("timedelta64[M]")
    day = np.timedelta64(start.day - 1, "D")
    ends = (months + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    return np.minimum(months.astype("datetime64[D]") + day, ends)


def level_values(actor: Actor, issue_id: str, levels: tuple[str, ...]) -> np.ndarray:
    """Value of each level to an actor: explicit ``values`` or linear in the distance to the ideal."""
    if issue_id in actor.values:
        return np.array([actor.values[issue_id][lv] for lv in levels], dtype=float)
    ideal = actor.ideal.get(issue_id)
    if ideal is None:
        return np.zeros(len(levels))
    i = levels.index(ideal)
    span = max(i, len(levels) - 1 - i)
    return 1.0 - np.abs(np.arange(len(levels)) - i) / span


@dataclass
class Worlds:
    """All per-world arrays the model steps. n actors, kc range issues, kl levels issues."""

    runs: int
    actors: list[str]
    range_issues: list[str]
    level_issues: list[str]
    levels: list[tuple[str, ...]]
    lo: np.ndarray            # (kc,) issue ranges
    hi: np.ndarray
    w_range: np.ndarray       # (W, n, kc) normalised weights
    w_level: np.ndarray       # (W, n, kl)
    ideal: np.ndarray         # (W, n, kc)
    span: np.ndarray          # (W, n, kc) distance from the ideal to the far end of the range
    level_vals: list[np.ndarray]   # per levels issue: (n, L) values in [0, 1]
    red_lo: np.ndarray        # (W, n, kc)
    red_hi: np.ndarray
    allowed: list[np.ndarray]  # per levels issue: (W, n, L) bool
    base: np.ndarray          # (W, n) fixed reservation (nan where the actor uses a war reservation)
    war_p: np.ndarray         # (W, n) fixed win probability (nan where a belief or no war)
    war_cost: np.ndarray      # (W, n)
    prior: np.ndarray         # (n, 2) beta prior (nan where none)
    erosion: np.ndarray       # (W, n)
    discount: np.ndarray      # (W, n)
    side: np.ndarray          # (n,) +1 side A, -1 side B, 0 none
    p_a: np.ndarray           # (W,)
    battles: int
    triggers: list[list]      # per actor: its shifts and triggers, drawn (sim.model.triggers.Bound)
    events: list[tuple[int, str, np.ndarray | list]]  # (round, path, values)
    sampled: Mapping[str, np.ndarray] = field(default_factory=dict)   # see Draws
    w_raw: np.ndarray | None = None   # (W, n, kc + kl) weights as drawn, before normalising (None where no
                                      # trigger sets weights)
    issue_ids: list[str] = field(default_factory=list)   # range issues then levels issues
    talks_when: list = field(default_factory=list)       # per actor: its condition, thresholds drawn
    aid: dict[str, np.ndarray] = field(default_factory=dict)   # patron -> (W,) aid level
    dyn: object = None        # costs, front, patrons, scripted history (sim.model.dynamics.Dynamics)
    line: np.ndarray | None = None   # (W,) the front line, on the issue tied to the battlefield
    rel_lo: np.ndarray | None = None  # (W, n, kc) red lines relative to the line (nan: absolute)
    rel_hi: np.ndarray | None = None
    rel_on: set = field(default_factory=set)   # (side, actor) whose red line has been relative in some world
    mediation: np.ndarray | None = None   # (W,) a mediator's or patron's pressure for talks, set by events
    partial: dict[str, "PartialSpec"] = field(default_factory=dict)
    relapse: "RelapseSpec | None" = None


@dataclass
class PartialSpec:
    """A declared partial deal: the issues it settles, the status-quo value every actor gets from the
    issues it defers, and its effects on the war while it holds."""

    range_idx: list[int]
    level_idx: list[int]
    deferred_value: np.ndarray   # (W, n) kept current where weights and ideals move (preferences_moved)
    battles: np.ndarray          # (W,) share of battles still fought
    erosion: np.ndarray          # (W,) factor on every actor's erosion
    deferred: dict = field(default_factory=dict)   # deferred issue -> its status quo


@dataclass
class RelapseSpec:
    """Per-round hazard that a settlement breaks down, before the guarantee's factor, and the factor of each
    level of the guarantee issue (ones where there is none)."""

    hazard: np.ndarray           # (W,)
    guarantee_issue: int | None  # index among the levels issues
    factor: np.ndarray           # (levels,) or (1,)


class Draws(Mapping):
    """Every parameter drawn per world, by path (the outcome table's input columns). An array the worlds
    still hold is read from them; one they let go of (its values copied into a larger array) is drawn again
    from its own stream, which gives the same values: a million worlds' draws are not held twice."""

    def __init__(self, root: np.random.SeedSequence, runs: int):
        self.root, self.runs, self._drawn = root, runs, {}

    def add(self, path: str, p: Param, values: np.ndarray) -> None:
        self._drawn[path] = (p, weakref.ref(values))

    def __getitem__(self, path: str) -> np.ndarray:
        p, ref = self._drawn[path]
        values = ref()
        return p.sample(stream(self.root, path), self.runs) if values is None else values

    def __iter__(self):
        return iter(self._drawn)

    def __len__(self) -> int:
        return len(self._drawn)

    def held(self) -> "Draws":
        """These draws, holding the arrays the worlds hold now: to read once the worlds are freed."""
        out = Draws(self.root, self.runs)
        for path, (p, ref) in self._drawn.items():
            values = ref()
            out._drawn[path] = (p, ref if values is None else (lambda v=values: v))
        return out


class _Sampler:
    def __init__(self, root: np.random.SeedSequence, runs: int):
        self.root, self.runs, self.sampled = root, runs, Draws(root, runs)

    def __call__(self, p: Param, path: str) -> np.ndarray:
        if p.fixed:
            return np.full(self.runs, p.args[0])
        values = p.sample(stream(self.root, path), self.runs)
        self.sampled.add(path, p, values)
        return values


def allowed_mask(rl: RedLine, levels: tuple[str, ...]) -> np.ndarray:
    if rl.allowed is not None:
        return np.array([lv in rl.allowed for lv in levels])
    i0 = levels.index(rl.min) if rl.min is not None else 0
    i1 = levels.index(rl.max) if rl.max is not None else len(levels) - 1
    return (np.arange(len(levels)) >= i0) & (np.arange(len(levels)) <= i1)


def build_worlds(s: Scenario, runs: int, root: np.random.SeedSequence) -> Worlds:
    """Sample every uncertain parameter once per world and lay the scenario out as arrays."""
    sample = _Sampler(root, runs)
    actors = list(s.actors)
    rng_ids = [k for k, v in s.issues.items() if not v.is_levels]
    lvl_ids = [k for k, v in s.issues.items() if v.is_levels]
    W, n, kc, kl = runs, len(actors), len(rng_ids), len(lvl_ids)
    lo = np.array([s.issues[k].range[0] for k in rng_ids], dtype=float)
    hi = np.array([s.issues[k].range[1] for k in rng_ids], dtype=float)
    levels = [s.issues[k].levels for k in lvl_ids]
    w = np.zeros((W, n, kc + kl))
    ideal = np.zeros((W, n, kc))
    red_lo = np.broadcast_to(lo, (W, n, kc)).copy()
    red_hi = np.broadcast_to(hi, (W, n, kc)).copy()
    allowed = [np.ones((W, n, len(lv)), dtype=bool) for lv in levels]
    for i, a_id in enumerate(actors):
        a = s.actors[a_id]
        for j, k in enumerate(rng_ids + lvl_ids):
            if k in a.weights:
                w[:, i, j] = sample(a.weights[k], f"actors.{a_id}.weights.{k}")
        for j, k in enumerate(rng_ids):
            v = a.ideal.get(k)         # an ideal relative to the line is set with the line (build_dynamics)
            absolute = v is not None and not isinstance(v, LineRelative)
            ideal[:, i, j] = sample(v, f"actors.{a_id}.ideal.{k}") if absolute else lo[j]
    # the weights as drawn are kept only where a trigger sets weights (it renormalises them when it fires)
    w_raw = w.copy() if any(tr.weights for a in actors for tr in s.actors[a].triggers) else None
    w /= w.sum(axis=2, keepdims=True)
    span = np.maximum(ideal - lo, hi - ideal)
    level_vals = [np.stack([level_values(s.actors[a], k, levels[j]) for a in actors])
                  for j, k in enumerate(lvl_ids)]
    base, war_p, war_cost, prior = _reservations(s, actors, sample, W)
    side = np.zeros(n, dtype=int)
    p_a, battles = np.full(W, 0.5), 0
    if s.battlefield is not None:
        side = np.array([1 if a in s.battlefield.side_a else -1 if a in s.battlefield.side_b else 0
                         for a in actors])
        p_a, battles = sample(s.battlefield.p_a, "battlefield.p_a"), s.battlefield.battles_per_round
    ids = (rng_ids, lvl_ids, levels)
    triggers = [bind_triggers(a, s.actors[a], ids, sample) for a in actors]
    worlds = Worlds(
        runs=W, actors=actors, range_issues=rng_ids, level_issues=lvl_ids, levels=levels, lo=lo, hi=hi,
        w_range=w[:, :, :kc], w_level=w[:, :, kc:], ideal=ideal, span=span, level_vals=level_vals,
        red_lo=red_lo, red_hi=red_hi, allowed=allowed, base=base, war_p=war_p, war_cost=war_cost,
        prior=prior,
        erosion=np.stack([sample(s.actors[a].erosion, f"actors.{a}.erosion") for a in actors], 1),
        discount=np.stack([sample(s.actors[a].discount, f"actors.{a}.discount") for a in actors], 1),
        side=side, p_a=p_a, battles=battles, triggers=triggers, events=[], sampled=sample.sampled,
        w_raw=w_raw, issue_ids=rng_ids + lvl_ids,
        talks_when=[bind(s.actors[a].talks_when, sample, f"actors.{a}.talks_when") for a in actors])
    dates = round_dates(s.calendar.start, s.calendar.step, s.horizon + 1)
    worlds.rel_lo, worlds.rel_hi = np.full((W, n, kc), np.nan), np.full((W, n, kc), np.nan)
    worlds.dyn = build_dynamics(s, worlds, sample, root, dates)
    if worlds.dyn.ideal_rel is None:           # ideals and spans move only with the line
        worlds.ideal, worlds.span = _shared(worlds.ideal), _shared(worlds.span)
    worlds.discount, worlds.erosion = _shared(worlds.discount), _shared(worlds.erosion)   # an event copies erosion
    for k in ("cost_round", "cost_battle", "cost_memory"):
        setattr(worlds.dyn, k, _shared(getattr(worlds.dyn, k)))
    for i, a in enumerate(actors):
        apply_red_lines(worlds, i, sample_red_lines(s.actors[a].red_lines, ids, sample, f"actors.{a}.red_lines"))
    worlds.events = schedule(s.events, dates, sample)
    worlds.mediation = np.zeros(W)
    worlds.partial = {name: _partial(s, worlds, name, pd, sample) for name, pd in s.partial_deals.items()}
    worlds.relapse = _relapse(s, worlds, sample)
    return worlds


def _shared(a: np.ndarray) -> np.ndarray:
    """``a`` (worlds first) as one world's values broadcast to every world where all worlds hold the same
    (a parameter no distribution draws): a read-only view, for arrays nothing writes to during a run."""
    if len(a) and (a == a[:1]).all():
        return np.broadcast_to(a[0].copy(), a.shape)      # a copy: a view of a[0] would hold all of a
    return a


def sample_red_lines(red_lines: dict, wd_ids: tuple, sample, path: str) -> dict:
    """Draw a set of red lines for every world: issue -> ("range", lo | None, hi | None) or
    ("levels", allowed mask)."""
    rng_ids, lvl_ids, levels = wd_ids
    out = {}
    for k, rl in red_lines.items():
        if k in rng_ids:
            out[k] = ("range", _bound(rl.min, sample, f"{path}.{k}.min"), _bound(rl.max, sample, f"{path}.{k}.max"))
        else:
            out[k] = ("levels", allowed_mask(rl, levels[lvl_ids.index(k)]))
    return out


def _bound(b, sample, path: str):
    """A drawn bound: None, an array, or ("line", offsets) for a bound relative to the front line."""
    if b is None:
        return None
    if isinstance(b, LineRelative):
        return ("line", sample(b.offset, f"{path}.line"))
    return sample(b, path)


def apply_red_lines(wd: "Worlds", i: int, drawn: dict, where=slice(None)) -> None:
    """Put red lines drawn by :func:`sample_red_lines` in force for actor ``i`` in worlds ``where``."""
    for k, value in drawn.items():
        if value[0] == "range":
            j = wd.range_issues.index(k)
            for side, (bound, red, rel) in enumerate(((value[1], wd.red_lo, wd.rel_lo),
                                                      (value[2], wd.red_hi, wd.rel_hi))):
                if bound is None:
                    continue
                # a column first, then its worlds: an index array across three axes takes numpy's slow path
                if isinstance(bound, tuple):
                    wd.rel_on.add((side, i))
                    offset = bound[1][where]
                    rel[:, i, j][where] = offset
                    red[:, i, j][where] = np.clip(wd.line[where] + offset, wd.lo[j], wd.hi[j])
                else:
                    red[:, i, j][where] = bound[where]
                    if rel is not None:
                        rel[:, i, j][where] = np.nan
        else:
            wd.allowed[wd.level_issues.index(k)][:, i][where] = value[1]


def _reservations(s: Scenario, actors: list[str], sample, W: int):
    n = len(actors)
    base = np.full((W, n), np.nan)
    war_p = np.full((W, n), np.nan)
    war_cost = np.zeros((W, n))
    prior = np.full((n, 2), np.nan)
    for i, a_id in enumerate(actors):
        a = s.actors[a_id]
        path = f"actors.{a_id}.reservation"
        if a.war is None:
            base[:, i] = sample(a.reservation, path)
            continue
        war_cost[:, i] = sample(a.war.cost, path + ".war.cost")
        p = a.war.win_probability
        if isinstance(p, Param):
            war_p[:, i] = sample(p, path + ".war.win_probability")
        else:
            prior[i] = p.prior.args
    return base, war_p, war_cost, prior


def status_quo_value(wd: Worlds, status_quo: dict, idx=slice(None)) -> np.ndarray:
    """What the status quo (issue -> value or level) is worth to every actor in worlds ``idx``: (W, n).
    Weights and ideals may move during a run (triggers, the front line), so it is recomputed with them."""
    out = np.zeros(wd.w_range[idx, :, :1].shape[:2])
    for k, sq in status_quo.items():
        ranged = k in wd.range_issues
        j = wd.range_issues.index(k) if ranged else wd.level_issues.index(k)
        for i in range(out.shape[1]):       # one actor at a time: long columns, not rows of a few actors
            if ranged:
                out[:, i] += wd.w_range[idx, i, j] * (1.0 - np.abs(sq - wd.ideal[idx, i, j]) / wd.span[idx, i, j])
            else:
                out[:, i] += wd.w_level[idx, i, j] * wd.level_vals[j][i, wd.levels[j].index(sq)]
    return out


def _partial(s: Scenario, wd: Worlds, name: str, pd, sample) -> PartialSpec:
    deferred = {k: s.issues[k].status_quo for k in s.issues if k not in pd.issues}
    return PartialSpec(
        range_idx=[wd.range_issues.index(k) for k in pd.issues if k in wd.range_issues],
        level_idx=[wd.level_issues.index(k) for k in pd.issues if k in wd.level_issues],
        deferred_value=status_quo_value(wd, deferred),
        battles=sample(pd.battles, f"partial_deals.{name}.battles"),
        erosion=sample(pd.erosion, f"partial_deals.{name}.erosion"), deferred=deferred)


def _relapse(s: Scenario, wd: Worlds, sample) -> RelapseSpec | None:
    r = s.relapse
    if r is None:
        return None
    hazard = sample(r.hazard, "relapse.hazard") * (1.0 + r.shift_elasticity * sample(r.power_shift,
                                                                                      "relapse.power_shift"))
    if r.guarantee is None:
        return RelapseSpec(np.clip(hazard, 0.0, 1.0), None, np.ones(1))
    j = wd.level_issues.index(r.guarantee.issue)
    factor = np.array([r.guarantee.factor[lv] for lv in wd.levels[j]], dtype=float)
    return RelapseSpec(np.clip(hazard, 0.0, 1.0), j, factor)
