"""What happened in every world, and when: talks, partial deals, settlements and relapses."""

from __future__ import annotations

import numpy as np

__all__ = ["Ledger", "STATES"]

# What a world is doing in a round, in order of precedence (the history's ``state`` column).
STATES = ("fighting", "talks", "partial", "settlement", "relapse")


class Ledger:
    """Per world: first rounds of an open zone, of talks, of a partial deal, of a settlement and of a
    relapse (-1: never), how many rounds of talks were held and how many failed, and the terms agreed."""

    def __init__(self, W: int, n: int, kc: int, kl: int):
        self.agreed = np.zeros(W, dtype=bool)
        self.round = np.full(W, -1)
        self.zopa_round = np.full(W, -1)
        self.talks_round = np.full(W, -1)
        self.partial_round = np.full(W, -1)
        self.relapse_round = np.full(W, -1)
        self.partial_kind = np.full(W, -1)
        self.talks_held = np.zeros(W, dtype=int)
        self.failed_talks = np.zeros(W, dtype=int)
        self.relapses = np.zeros(W, dtype=int)
        self.x = np.full((W, kc), np.nan)
        self.levels = np.full((W, kl), -1)
        self.partial_x = np.full((W, kc), np.nan)
        self.partial_levels = np.full((W, kl), -1)
        self.utility = np.full((W, n), np.nan)
        self.reservation = np.full((W, n), np.nan)
        self.status = np.full(W, "ok", dtype=object)    # or why a world's deal could not be settled

    @staticmethod
    def _first(rounds: np.ndarray, now: np.ndarray, rnd: int) -> np.ndarray:
        return np.where((rounds < 0) & now, rnd, rounds)

    def note_open(self, rnd: int, opened: np.ndarray, talking: np.ndarray) -> None:
        """Record the first round of an open zone and of talks, and count the rounds of talks."""
        self.zopa_round = self._first(self.zopa_round, opened, rnd)
        self.talks_round = self._first(self.talks_round, talking, rnd)
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
        self.relapse_round = self._first(self.relapse_round, broke, rnd)
        self.relapses += broke
