"""What was agreed, where and when: the model's record of every world's milestones and deal."""

from __future__ import annotations

import numpy as np

__all__ = ["Ledger"]


class Ledger:
    """Per world: first round the zone opened and talks were held, and the deal struck (-1: never)."""

    def __init__(self, W: int, n: int, kc: int, kl: int):
        self.agreed = np.zeros(W, dtype=bool)
        self.round = np.full(W, -1)
        self.zopa_round = np.full(W, -1)
        self.talks_round = np.full(W, -1)
        self.x = np.full((W, kc), np.nan)
        self.levels = np.full((W, kl), -1)
        self.utility = np.full((W, n), np.nan)
        self.reservation = np.full((W, n), np.nan)

    def note_open(self, rnd: int, opened: np.ndarray, talking: np.ndarray) -> None:
        """Record the first round of an open zone and of talks."""
        self.zopa_round = np.where((self.zopa_round < 0) & opened, rnd, self.zopa_round)
        self.talks_round = np.where((self.talks_round < 0) & talking, rnd, self.talks_round)

    def record(self, idx, rnd, x, levels, y, r) -> None:
        self.agreed[idx] = True
        self.round[idx] = rnd
        self.x[idx] = x
        self.levels[idx] = levels
        self.utility[idx] = y
        self.reservation[idx] = r
