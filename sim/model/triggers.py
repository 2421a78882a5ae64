"""Triggers: changes to an actor's position while (or from when) a condition on the state holds.

A trigger fires in the worlds where its condition first holds and puts its changes in force there: new
red lines, a shift of the reservation, new weights, a talks stance, a patron's aid level. A one-way trigger
stays in force; one with ``revert_after: k`` is undone in the worlds where its condition has failed k rounds
in a row, and may fire again later. ``shifts`` are one-way triggers on ``setbacks_at_least``. Thresholds are
drawn per world (:func:`sim.conditions.bind`).

Triggers that set the same target (an actor's bound or allowed levels on an issue, its weight on an issue, a
patron's aid) overlap by one rule (:class:`Layers`): in force is the setting of the trigger in force that
fired last, and among those that fired in the same round the one applied last (actors in their order in the
file, each actor's shifts then triggers in the order written). A trigger that reverts gives the target back
to the one that fired last among those still in force, or, where none is, to what was there before the first
of them fired; targets it does not set are left alone. A dated event that sets a target (or an observed aid
level) counts as fired last (:meth:`Layers.overwrite`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..conditions import Condition, State, bind, holds, parse_condition
from .dynamics import preferences_moved, reweigh

__all__ = ["Bound", "bind_triggers", "Book", "Layers", "event_target", "reweigh"]


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


def event_target(wd, path: str) -> tuple | None:
    """The target (as :func:`_keys` names it) an event's dotted path sets, or None if no trigger can set it."""
    parts = path.split(".")
    if parts[0] == "patrons" and parts[-1] == "aid":
        return ("aid", parts[1])
    if parts[0] == "actors" and len(parts) == 5 and parts[2] == "red_lines":
        kind = {"min": "lo", "max": "hi", "allowed": "allowed"}[parts[4]]
        return (kind, wd.actors.index(parts[1]), parts[3])
    return None


def _keys(b: Bound, i: int) -> list[tuple]:
    """The targets trigger ``b`` of actor ``i`` sets."""
    out = []
    for issue, v in b.red_lines.items():
        if v[0] == "range":
            out += [(side, i, issue) for side, bound in (("lo", v[1]), ("hi", v[2])) if bound is not None]
        else:
            out.append(("allowed", i, issue))
    return out + [("w", i, issue) for issue in b.weights] + [("aid", p) for p in b.aid]


def _setting(b: Bound, key: tuple, idx: np.ndarray) -> np.ndarray:
    """What trigger ``b`` puts on target ``key`` in worlds ``idx`` (a bound as [absolute, offset to the line])."""
    kind = key[0]
    if kind in ("lo", "hi"):
        bound = b.red_lines[key[2]][1 if kind == "lo" else 2]
        out = np.full((len(idx), 2), np.nan)
        if isinstance(bound, tuple):
            out[:, 1] = bound[1][idx]
        else:
            out[:, 0] = bound[idx]
        return out
    if kind == "allowed":
        mask = b.red_lines[key[2]][1]
        return np.broadcast_to(mask, (len(idx), len(mask)))
    return b.weights[key[2]][idx] if kind == "w" else b.aid[key[1]][idx]


def _bound_arrays(wd, key: tuple):
    return (wd.red_lo, wd.rel_lo) if key[0] == "lo" else (wd.red_hi, wd.rel_hi)


def _get(wd, key: tuple, idx: np.ndarray) -> np.ndarray:
    """What is on target ``key`` in worlds ``idx`` now, in the form of :func:`_setting`."""
    kind = key[0]
    if kind in ("lo", "hi"):
        (red, rel), j = _bound_arrays(wd, key), wd.range_issues.index(key[2])
        out = np.empty((len(idx), 2))             # filled by column: np.stack costs twice as much
        out[:, 0], out[:, 1] = red[:, key[1], j][idx], rel[:, key[1], j][idx]   # column first, as in _issue_floor
        return out
    if kind == "allowed":
        return wd.allowed[wd.level_issues.index(key[2])][:, key[1]][idx]
    return wd.w_raw[:, key[1], wd.issue_ids.index(key[2])][idx] if kind == "w" else wd.aid[key[1]][idx]


def _put(wd, key: tuple, idx: np.ndarray, value: np.ndarray) -> None:
    """Put ``value`` (as :func:`_get` gives it) on target ``key`` in worlds ``idx``; a bound relative to the
    line is placed at the current line."""
    kind = key[0]
    if kind in ("lo", "hi"):
        (red, rel), j = _bound_arrays(wd, key), wd.range_issues.index(key[2])
        at, offset = value[:, 0], value[:, 1]
        absolute = np.isnan(offset)
        relative = not absolute.all()
        if relative:
            wd.rel_on.add((0 if kind == "lo" else 1, key[1]))
        if relative and wd.line is not None:
            # a NaN offset gives NaN here (clip keeps it), replaced by the absolute bound
            on_line = np.clip(wd.line[idx] + offset, wd.lo[j], wd.hi[j])
            at = np.where(absolute, at, on_line) if absolute.any() else on_line
        red[:, key[1], j][idx], rel[:, key[1], j][idx] = at, offset     # column first, as in _issue_floor
    elif kind == "allowed":
        wd.allowed[wd.level_issues.index(key[2])][:, key[1]][idx] = value
    elif kind == "w":
        wd.w_raw[:, key[1], wd.issue_ids.index(key[2])][idx] = value
    else:
        wd.aid[key[1]][idx] = value


class Layers:
    """Every target's triggers, across actors (a patron's aid may be set by several): which trigger's setting
    is in force on a target in each world, and what was there before any of them fired (the rule is in the
    module's docstring). Firing order is a counter, so the last fired is the largest stamp."""

    def __init__(self):
        self.owners: dict[tuple, list] = {}      # target -> [(book, trigger index)] that have fired on it
        self.base: dict[tuple, np.ndarray] = {}  # target -> what was there before, in every world (cover)
        self.events: dict[tuple, int] = {}       # target -> stamp of the last event that set it
        self.tick = 0

    def _others(self, key: tuple, owner: tuple) -> list[tuple]:
        """The target's triggers other than ``owner``, as (position in ``owners``, book, trigger index)
        (a book is equal only to itself)."""
        return [(k, *other) for k, other in enumerate(self.owners[key]) if other != owner]

    def _last(self, key: tuple, others: list, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Among ``others`` (of :meth:`_others`) in force in worlds ``idx``: the one fired last (its position
        in ``owners``, -1 where none fired after the last event on the target) and its stamp (the event's
        where none did, 0 where there was none)."""
        best, stamp = np.full(len(idx), -1), np.full(len(idx), self.events.get(key, 0))
        for k, book, u in others:
            s = np.where(book.on[u][idx], book.stamp[u][idx], 0)
            better = s > stamp
            best[better], stamp[better] = k, s[better]
        return best, stamp

    def cover(self, wd, key: tuple, owner: tuple) -> None:
        """``owner`` fires on ``key``. What is there is kept once, in every world, when the first trigger fires
        on it: from then on the target moves only by its triggers, which give back what they covered when
        they revert, and by events, after which it is kept anew (:meth:`overwrite`). So wherever no trigger
        in force covers it, the target still holds what was kept (up to a bound relative to the line, placed
        at the current line when given back), and keeping it again at each firing would change nothing."""
        own = self.owners.setdefault(key, [])
        if owner not in own:
            own.append(owner)
        if key not in self.base:
            self.base[key] = _get(wd, key, np.arange(wd.runs))

    def overwrite(self, wd, key: tuple) -> None:
        """A dated event (or observed history) has set ``key`` in every world: its setting counts as fired
        last, so a trigger in force that fired before it no longer gives anything back when it reverts, and
        what comes back when the triggers fired after it revert is the event's setting."""
        if key not in self.owners:         # no trigger has fired on it: nothing to keep
            return
        self.tick += 1
        self.events[key] = self.tick
        self.base[key] = _get(wd, key, np.arange(wd.runs)).copy()

    def uncover(self, wd, key: tuple, owner: tuple, idx: np.ndarray, stamp: np.ndarray) -> None:
        """``owner`` (fired at ``stamp``) reverts in worlds ``idx``: where its setting was the one in force,
        put back the last fired of the others in force, or what was there before any."""
        others = self._others(key, owner)
        if not others:                     # the target's only trigger: what was there before comes back
            event = self.events.get(key, 0)
            sub = idx[stamp > event] if event else idx     # stamps start at 1
            _put(wd, key, sub, self.base[key][sub])
            return
        best, other = self._last(key, others, idx)
        was_last = stamp > other
        for k in [-1, *(k for k, _, _ in others)]:
            sub = idx[was_last & (best == k)]
            if not len(sub):
                continue
            if k < 0:
                _put(wd, key, sub, self.base[key][sub])
            else:
                book, u = self.owners[key][k]
                _put(wd, key, sub, _setting(book.bound[u], key, sub))


class Book:
    """One actor's triggers in every world: which are in force, and when each last fired."""

    def __init__(self, bound: list[Bound], runs: int, *, layers: Layers | None = None):
        self.bound = bound
        self.layers = Layers() if layers is None else layers
        self.on = [np.zeros(runs, dtype=bool) for _ in bound]
        # counts of rounds and firings fit 32 bits (a million worlds' book is 4 MB a trigger lighter)
        self.off = [np.zeros(runs, dtype=np.int32) for _ in bound]
        self.stamp = [np.zeros(runs, dtype=np.int32) for _ in bound]   # firing order of the last firing, 0 never
        self.res_shift = np.zeros(runs)
        self.shifted = False             # a reservation shift fired or reverted since the owner last read it
        self.fired_at = [np.full(runs, -1, dtype=np.int32) for _ in bound]   # round each last fired, per world
        self.targets: dict[int, list] = {}   # trigger -> the targets it sets (:func:`_keys`), which never move

    def in_force(self, actor_id: str) -> dict[str, np.ndarray]:
        return {f"{actor_id}.{b.name}": on for b, on in zip(self.bound, self.on)}

    def talks(self, wanted: np.ndarray) -> np.ndarray:
        """Where the actor talks: where it wants to (``wanted``, changed in place) or a trigger in force opens
        talks, unless one in force closes them."""
        for b, on in zip(self.bound, self.on):
            if b.talks == "open":
                wanted |= on
        for b, on in zip(self.bound, self.on):
            if b.talks == "closed":
                np.greater(wanted, on, out=wanted)      # wanted & ~on in one operation
        return wanted

    def step(self, model, i: int, state: State) -> None:
        """Fire the triggers whose condition holds, and revert those whose condition has failed long enough."""
        live = model.active                  # a deal ends a world: positions there no longer move
        for t, b in enumerate(self.bound):
            on, h = self.on[t], holds(b.when, state)
            if b.revert_after is not None:
                off = self.off[t]            # rounds in a row without the condition where in force, else 0:
                off += 1                     # as it is positive only where in force and revert_after >= 1 (the
                off *= on > h                # schema's), reverting needs no test of ``on``
                back = np.flatnonzero((off >= b.revert_after) & live)
            fire = h > on                    # h & ~on in one operation
            fire &= live
            fire = np.flatnonzero(fire)      # the few worlds concerned, as indices (no test on the whole mask)
            if len(fire):
                self._fire(model, i, t, fire)
                self.fired_at[t][fire] = model.round
            if b.revert_after is not None and len(back):
                self._revert(model, i, t, back)

    def _targets(self, t: int, i: int) -> list[tuple]:
        if t not in self.targets:
            self.targets[t] = _keys(self.bound[t], i)
        return self.targets[t]

    def _fire(self, model, i: int, t: int, idx: np.ndarray) -> None:
        """Trigger ``t`` fires in worlds ``idx`` (indices: the few worlds concerned, not a mask of all)."""
        from .worlds import apply_red_lines

        b, wd = self.bound[t], model.worlds
        for key in self._targets(t, i):
            self.layers.cover(wd, key, (self, t))
        self.layers.tick += 1
        self.stamp[t][idx] = self.layers.tick
        if b.red_lines:
            apply_red_lines(wd, i, b.red_lines, where=idx)
            model.red_lines_moved(idx, i)
        if b.reservation_shift is not None:
            self.res_shift[idx] += b.reservation_shift[idx]
            self.shifted = True
        for patron, level in b.aid.items():
            wd.aid[patron][idx] = level[idx]
        if b.weights:
            for issue, value in b.weights.items():
                wd.w_raw[idx, i, wd.issue_ids.index(issue)] = value[idx]
            _renormalise(model, idx)
        self.on[t][idx] = True

    def _revert(self, model, i: int, t: int, idx: np.ndarray) -> None:
        """Trigger ``t`` reverts in worlds ``idx`` (indices)."""
        b, wd = self.bound[t], model.worlds
        self.on[t][idx] = False
        stamp = self.stamp[t][idx]
        for key in self._targets(t, i):
            self.layers.uncover(wd, key, (self, t), idx, stamp)
        if b.red_lines:
            model.red_lines_moved(idx, i)
        if b.reservation_shift is not None:
            self.res_shift[idx] -= b.reservation_shift[idx]
            self.shifted = True
        if b.weights:
            _renormalise(model, idx)
        self.off[t][idx] = 0


def _renormalise(model, idx: np.ndarray) -> None:
    wd = model.worlds
    kc = len(wd.range_issues)
    w = wd.w_raw[idx] / wd.w_raw[idx].sum(axis=2, keepdims=True)
    wd.w_range[idx], wd.w_level[idx] = w[:, :, :kc], w[:, :, kc:]
    preferences_moved(model, idx)
