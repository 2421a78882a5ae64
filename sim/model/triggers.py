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
from ..engine import solver
from .dynamics import preferences_moved, reweigh

__all__ = ["Bound", "bind_triggers", "Book", "Floors", "Layers", "event_target", "red_line_floor", "reweigh"]


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
        for key in self._targets(t, i):
            self.layers.uncover(wd, key, (self, t), idx, self.stamp[t][idx])
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
