"""What happened in every world, and when: talks, partial deals, settlements and relapses; and, for the
history, every actor's red lines and triggers in force at every round (:class:`PositionLog`)."""

from __future__ import annotations

import numpy as np

__all__ = ["Ledger", "PositionLog", "STATES"]

# What a world is doing in a round, in order of precedence (the history's ``state`` column).
STATES = ("fighting", "talks", "partial", "settlement", "relapse")


class Ledger:
    """Per world: first rounds of an open zone, of talks, of a partial deal, of a settlement and of a
    relapse (-1: never), how many rounds of talks were held and how many failed, and the terms agreed."""

    def __init__(self, W: int, n: int, kc: int, kl: int):
        # rounds and counts as 32-bit integers, partial deal kinds and level codes as 16-bit ones (the outcome
        # table widens them): a million worlds' ledger takes 60 MB less
        self.agreed = np.zeros(W, dtype=bool)
        self.round = np.full(W, -1, dtype=np.int32)
        self.zopa_round = np.full(W, -1, dtype=np.int32)
        self.talks_round = np.full(W, -1, dtype=np.int32)
        self.partial_round = np.full(W, -1, dtype=np.int32)
        self.relapse_round = np.full(W, -1, dtype=np.int32)
        self.partial_kind = np.full(W, -1, dtype=np.int16)
        self.talks_held = np.zeros(W, dtype=np.int32)
        self.failed_talks = np.zeros(W, dtype=np.int32)
        self.relapses = np.zeros(W, dtype=np.int32)
        self.x = np.full((W, kc), np.nan)
        self.levels = np.full((W, kl), -1, dtype=np.int16)
        self.partial_x = np.full((W, kc), np.nan)
        self.partial_levels = np.full((W, kl), -1, dtype=np.int16)
        self.utility = np.full((W, n), np.nan)
        self.reservation = np.full((W, n), np.nan)
        # or why a world's deal could not be settled; one "ok" for all (np.full would make a string per world)
        self.status = np.array(["ok"], dtype=object).repeat(W)

    @staticmethod
    def _first(rounds: np.ndarray, now: np.ndarray, rnd: int) -> None:
        """Record round ``rnd`` in ``rounds`` (in place) where ``now`` and none is recorded yet."""
        np.putmask(rounds, (rounds < 0) & now, rnd)

    def note_open(self, rnd: int, opened: np.ndarray, talking: np.ndarray) -> None:
        """Record the first round of an open zone and of talks, and count the rounds of talks."""
        self._first(self.zopa_round, opened, rnd)
        self._first(self.talks_round, talking, rnd)
        self.talks_held += talking

    def note_failed(self, failed: np.ndarray) -> None:
        self.failed_talks += failed

    def record(self, idx, rnd, x, levels, y, r) -> None:
        """A settlement on every issue in worlds ``idx`` (the latest one's terms are kept)."""
        self.agreed[idx] = True
        self.round[idx] = np.where(self.round[idx] < 0, rnd, self.round[idx])
        self.x[idx] = x
        self.levels[idx] = levels
        self.utility[idx] = y
        self.reservation[idx] = r

    def record_partial(self, idx, rnd, kind: int, r_idx, l_idx, x, levels) -> None:
        """A partial deal of kind ``kind`` on the given issues in worlds ``idx`` (the first one's terms)."""
        first = idx[self.partial_round[idx] < 0]
        self.partial_round[first] = rnd
        self.partial_kind[first] = kind
        take = self.partial_round[idx] == rnd
        rows = idx[take]
        if r_idx:
            self.partial_x[np.ix_(rows, r_idx)] = x[take]
        if l_idx:
            self.partial_levels[np.ix_(rows, l_idx)] = levels[take]

    def record_relapse(self, broke: np.ndarray, rnd: int) -> None:
        self._first(self.relapse_round, broke, rnd)
        self.relapses += broke


def moving_red_lines(spec) -> list[tuple[str, str, str]]:
    """The (actor, issue, bound) red lines the scenario sets: as written, by a shift or trigger, or by an event; the
    bound is ``min`` or ``max`` on a range issue, ``allowed`` on a levels issue (however it is written)."""
    found = set()

    def add(a_id, k, rl):
        if spec.issues[k].is_levels:
            found.add((a_id, k, "allowed"))
        else:
            found.update((a_id, k, b) for b in ("min", "max") if getattr(rl, b, None) is not None)

    for a_id, actor in spec.actors.items():
        for source in (actor.red_lines, *(t.red_lines for t in (*actor.shifts, *actor.triggers))):
            for k, rl in source.items():
                add(a_id, k, rl)
    for event in spec.events:
        for path in event.set:
            parts = str(path).split(".")
            if len(parts) == 5 and parts[0] == "actors" and parts[2] == "red_lines" and parts[3] in spec.issues:
                found.add((parts[1], parts[3], "allowed" if spec.issues[parts[3]].is_levels else parts[4]))
    return [(a, k, b) for a in spec.actors for k in spec.issues for b in ("min", "max", "allowed")
            if (a, k, b) in found]


class PositionLog:
    """Every round's red lines in force for the (actor, issue) pairs the scenario sets, and every trigger's
    worlds in force, kept only when a history is asked for; :meth:`columns` lays them out as history columns.

    A range issue's bounds are kept as the worlds hold them (``red_lo``, ``red_hi``); a bound at the issue's
    own end constrains nothing and reads NaN. A levels issue's allowed levels are kept as a mask.
    """

    def __init__(self, spec, wd, *, keep: int | None = None):
        self.keep = keep            # rounds held: all (None), or the last ``keep`` when the history is streamed
        lines = moving_red_lines(spec)
        self.ranges = [(a, k, b, wd.actors.index(a), wd.range_issues.index(k))
                       for a, k, b in lines if b != "allowed"]
        self.levels = [(a, k, wd.actors.index(a), wd.level_issues.index(k))
                       for a, k, b in lines if b == "allowed"]
        self.level_names = [spec.issues[k].levels for _, k, _, _ in self.levels]
        self.lo, self.hi = wd.lo, wd.hi
        self.rounds: list[dict] = []

    def note(self, model) -> None:
        """Keep this round's red lines and triggers in force (copies: the worlds' arrays move on)."""
        wd = model.worlds
        row = {(b, a, k): (wd.red_lo if b == "min" else wd.red_hi)[:, i, j].copy() for a, k, b, i, j in self.ranges}
        row |= {("allowed", a, k): wd.allowed[j][:, i, :].copy() for a, k, i, j in self.levels}
        row |= {("trigger", name): on.copy() for name, on in model.moved().items()}
        self.rounds.append(row)
        if self.keep is not None:
            del self.rounds[:-self.keep]

    def columns(self, order, R: int, *, last: bool = False) -> dict[str, np.ndarray]:
        """The history columns for the first ``R`` rounds (with ``last``, the last ``R`` kept); ``order``
        turns an (R, W) array into the history's rows (world-major, rounds after a world's deal dropped)."""
        if not self.rounds:
            return {}
        rows = self.rounds[-R:] if last else self.rounds[:R]
        stack = lambda key: np.stack([r[key] for r in rows])
        cols = {}
        for a, k, b, _, j in self.ranges:
            v = stack((b, a, k))
            inside = v > self.lo[j] if b == "min" else v < self.hi[j]
            cols[f"red_lines.{a}.{k}.{b}"] = order(np.where(inside, v, np.nan))
        for (a, k, _, _), names in zip(self.levels, self.level_names):
            mask = stack(("allowed", a, k))                                                    # (R, W, L)
            cols[f"red_lines.{a}.{k}.allowed"] = order(mask.sum(axis=2).astype(np.int8))
            for m, level in enumerate(names):
                cols[f"red_lines.{a}.{k}.allowed.{level}"] = order(mask[:, :, m])
        for key in rows[0]:
            if key[0] == "trigger":
                cols[f"trigger.{key[1]}"] = order(stack(key))
        return cols
