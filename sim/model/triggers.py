"""Triggers: changes to an actor's position while (or from when) a condition on the state holds.

A trigger fires in the worlds where its condition first holds and puts its changes in force there: new
red lines, a shift of the reservation, new weights, a talks stance, a patron's aid level. A one-way trigger
stays in force; one with ``revert_after: k`` is undone (what it replaced is restored) in the worlds where its
condition has failed k rounds in a row, and may fire again later. ``shifts`` are one-way triggers on
``setbacks_at_least``. Thresholds are drawn per world (:func:`sim.conditions.bind`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..conditions import Condition, State, bind, holds, parse_condition
from ..engine import solver
from .dynamics import follow_line, preferences_moved, reweigh

__all__ = ["Bound", "bind_triggers", "Book", "red_line_floor", "reweigh"]


@dataclass
class Bound:
    """One trigger with every number drawn per world."""

    name: str
    when: Condition
    red_lines: dict = field(default_factory=dict)
    reservation_shift: np.ndarray | None = None
    weights: dict = field(default_factory=dict)      # issue -> (W,) raw weight
    talks: str | None = None
    aid: dict = field(default_factory=dict)          # patron -> (W,) level
    revert_after: int | None = None
    fixed: bool = True          # every threshold the same in all worlds (no distribution drawn)


def bind_triggers(actor_id: str, actor, ids: tuple, sample) -> list[Bound]:
    """An actor's shifts (as one-way triggers on net setbacks) and triggers, drawn per world."""
    from .worlds import sample_red_lines

    out = []
    for k, sh in enumerate(actor.shifts):
        path = f"actors.{actor_id}.shifts.{k}"
        out.append(Bound(f"shifts.{k}", parse_condition({"setbacks_at_least": sh.after_setbacks}),
                         sample_red_lines(sh.red_lines, ids, sample, f"{path}.red_lines")))
    for k, tr in enumerate(actor.triggers):
        path = f"actors.{actor_id}.triggers.{k}"
        out.append(Bound(
            tr.name or f"triggers.{k}", bind(tr.when, sample, f"{path}.when"),
            sample_red_lines(tr.red_lines, ids, sample, f"{path}.red_lines"),
            None if tr.reservation_shift is None else sample(tr.reservation_shift, f"{path}.reservation_shift"),
            {i: sample(w, f"{path}.weights.{i}") for i, w in tr.weights.items()},
            tr.talks, {p: sample(v, f"{path}.aid.{p}") for p, v in tr.aid.items()}, tr.revert_after,
            all(p.fixed for _, p in tr.when.params())))
    return out


def red_line_floor(wd, i: int) -> np.ndarray:
    """The worst utility actor ``i``'s own red lines still allow, per world: what its position can deliver."""
    ideal, span = wd.ideal[:, i], wd.span[:, i]
    worst = np.maximum(np.abs(wd.red_lo[:, i] - ideal), np.abs(wd.red_hi[:, i] - ideal))
    v = (wd.w_range[:, i] * (1.0 - worst / span)).sum(axis=1)
    for j, allowed in enumerate(wd.allowed):
        values = wd.w_level[:, i, j, None] * wd.level_vals[j][i]
        v = v + solver.fold(np.minimum, np.where(allowed[:, i], values, np.inf), 1)
    return v


class Book:
    """One actor's triggers in every world: which are in force, and what each replaced."""

    def __init__(self, bound: list[Bound], runs: int):
        self.bound = bound
        self.on = [np.zeros(runs, dtype=bool) for _ in bound]
        self.off = [np.zeros(runs, dtype=int) for _ in bound]
        self.saved: list[dict] = [{} for _ in bound]
        self.res_shift = np.zeros(runs)
        self.fired_at = [np.full(runs, -1) for _ in bound]   # round each trigger last fired in each world

    def in_force(self, actor_id: str) -> dict[str, np.ndarray]:
        return {f"{actor_id}.{b.name}": on for b, on in zip(self.bound, self.on)}

    def talks_stance(self, runs: int) -> tuple[np.ndarray, np.ndarray]:
        """Worlds where a trigger in force opens talks, and where one closes them."""
        opened, closed = np.zeros(runs, dtype=bool), np.zeros(runs, dtype=bool)
        for b, on in zip(self.bound, self.on):
            if b.talks == "open":
                opened |= on
            elif b.talks == "closed":
                closed |= on
        return opened, closed

    def step(self, model, i: int, state: State) -> None:
        """Fire the triggers whose condition holds, and revert those whose condition has failed long enough."""
        live = model.active                  # a deal ends a world: positions there no longer move
        for t, b in enumerate(self.bound):
            h = holds(b.when, state)
            fire = ~self.on[t] & h & live
            back = np.zeros_like(fire)
            if b.revert_after is not None:
                self.off[t] = np.where(self.on[t] & ~h, self.off[t] + 1, 0)
                back = self.on[t] & (self.off[t] >= b.revert_after) & live
            if fire.any():
                self._fire(model, i, t, fire)
                self.fired_at[t][fire] = model.round
            if back.any():
                self._revert(model, i, t, back)

    def _fire(self, model, i: int, t: int, where: np.ndarray) -> None:
        from .worlds import apply_red_lines

        b, wd = self.bound[t], model.worlds
        idx = np.flatnonzero(where)        # the few worlds a trigger fires in: indices, not a mask of all
        if b.revert_after is not None:
            self._save(wd, i, t, idx)
        if b.red_lines:
            apply_red_lines(wd, i, b.red_lines, where=idx)
            model.red_lines_moved(idx)
        if b.reservation_shift is not None:
            self.res_shift[idx] += b.reservation_shift[idx]
        for patron, level in b.aid.items():
            wd.aid[patron][idx] = level[idx]
        if b.weights:
            for issue, value in b.weights.items():
                wd.w_raw[idx, i, wd.issue_ids.index(issue)] = value[idx]
            _renormalise(model, where)
        self.on[t][idx] = True

    def _save(self, wd, i: int, t: int, idx: np.ndarray) -> None:
        s, b = self.saved[t], self.bound[t]
        now = {f"aid.{p}": wd.aid[p] for p in b.aid}
        if b.red_lines:
            now |= {"red_lo": wd.red_lo[:, i], "red_hi": wd.red_hi[:, i], "rel_lo": wd.rel_lo[:, i],
                    "rel_hi": wd.rel_hi[:, i], **{f"allowed.{j}": al[:, i] for j, al in enumerate(wd.allowed)}}
        if b.weights:
            now["w_raw"] = wd.w_raw[:, i]
        for key, value in now.items():
            if key in s:
                s[key][idx] = value[idx]
            else:
                s[key] = value.copy()

    def _revert(self, model, i: int, t: int, where: np.ndarray) -> None:
        b, wd, s = self.bound[t], model.worlds, self.saved[t]
        idx = np.flatnonzero(where)
        if b.red_lines:
            wd.red_lo[idx, i], wd.red_hi[idx, i] = s["red_lo"][idx], s["red_hi"][idx]
            wd.rel_lo[idx, i], wd.rel_hi[idx, i] = s["rel_lo"][idx], s["rel_hi"][idx]
            if wd.dyn.front is not None:
                follow_line(wd, where)
            for j, al in enumerate(wd.allowed):
                al[idx, i] = s[f"allowed.{j}"][idx]
            model.red_lines_moved(idx)
        if b.reservation_shift is not None:
            self.res_shift[idx] -= b.reservation_shift[idx]
        for patron in b.aid:
            wd.aid[patron][idx] = s[f"aid.{patron}"][idx]
        if b.weights:
            wd.w_raw[idx, i] = s["w_raw"][idx]
            _renormalise(model, where)
        self.on[t][idx] = False
        self.off[t][idx] = 0


def _renormalise(model, where: np.ndarray) -> None:
    wd = model.worlds
    kc = len(wd.range_issues)
    w = wd.w_raw[where] / wd.w_raw[where].sum(axis=2, keepdims=True)
    wd.w_range[where], wd.w_level[where] = w[:, :, :kc], w[:, :, kc:]
    preferences_moved(model, np.where(where)[0])
