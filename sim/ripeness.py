"""Ripeness: whether a conflict is ripe for a settlement, round by round (Zartman 2000).

Zartman (2000, "Ripeness: the hurting stalemate and beyond", in Stern & Druckman, *International Conflict
Resolution after the Cold War*) names two conditions: a **mutually hurting stalemate** (both sides are
hurt by going on, and neither can escalate to victory) and a **way out** (a sense that a negotiated
solution is possible). Each is read off the model's own state:

- *hurting*: every actor's reservation is lower than ``window`` rounds before (costs mount);
- *stalemate*: over those ``window`` rounds neither side gained more than one round's battles, net
  (always true without a battlefield);
- *beliefs converged*: the two sides' beliefs that they will win add up to at most ``1 + optimism``,
  i.e. mutual optimism, a cause of war (Blainey 1973; Fearon 1995), is gone (true where beliefs are fixed);
- *mutually hurting stalemate*: all three;
- *way out*: the zone is open or closed by less than ``margin`` (utility);
- *ripe*: a mutually hurting stalemate with a way out.

Rounds before the first full window count as not hurting and not stalled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Tracker", "ripe_share", "COLUMNS"]

COLUMNS = ["world", "round", "date", "width", "hurting", "stalemate", "beliefs_converged",
           "mutually_hurting_stalemate", "way_out", "ripe"]


class Tracker:
    """Marks ripeness round by round as a model steps, keeping only the last ``window`` rounds of state."""

    def __init__(self, model, *, window: int = 3, margin: float = 0.05, optimism: float = 0.05):
        if window < 1:
            raise ValueError(f"window: found {window}, expected a whole number >= 1")
        self.window, self.margin, self.optimism = window, margin, optimism
        self.side, self.battles = model.worlds.side, max(1, model.worlds.battles)
        self.has_belief = ~np.isnan(model.worlds.prior[:, 0])
        self.dates = model.dates
        self.past: list[tuple[np.ndarray, np.ndarray]] = []     # (reservations, net losses) per round
        self.parts: list[dict] = []
        self.observe(model)

    def observe(self, model) -> None:
        """Mark the round the model has just evaluated."""
        r, width, net = model.last["reservation"], model.last["zopa_width"], model.net_a_losses
        W = len(width)
        if len(self.past) >= self.window:
            old_r, old_net = self.past[-self.window]
            hurting = (r < old_r - 1e-12).all(axis=1)
            stalemate = np.abs(net - old_net) <= self.battles
        else:
            hurting = stalemate = np.zeros(W, dtype=bool)
        self.past = (self.past + [(r.copy(), net.copy())])[-self.window:]
        converged = self._optimism(model.belief) <= 1 + self.optimism
        mhs = hurting & stalemate & converged
        way_out = width >= -self.margin
        keep = ~(model.deal.agreed & (model.deal.round < model.round)) | (model.worlds.relapse is not None)
        k = int(keep.sum())
        self.parts.append({
            "world": np.arange(W)[keep], "round": np.full(k, model.round),
            "date": np.full(k, np.datetime64(self.dates[model.round], "ns")), "width": width[keep],
            "hurting": hurting[keep], "stalemate": stalemate[keep], "beliefs_converged": converged[keep],
            "mutually_hurting_stalemate": mhs[keep], "way_out": way_out[keep], "ripe": (mhs & way_out)[keep]})

    def _optimism(self, belief: np.ndarray) -> np.ndarray:
        """Per world, the larger belief on each side added up; 1 where a side holds no belief."""
        sides = []
        for s in (1, -1):
            who = (self.side == s) & self.has_belief
            sides.append(belief[:, who].max(axis=1) if who.any() else None)
        if sides[0] is None or sides[1] is None:
            return np.ones(len(belief))
        return sides[0] + sides[1]

    def table(self) -> pd.DataFrame:
        """One row per world and round observed, up to the round of its deal."""
        cols = {c: np.concatenate([p[c] for p in self.parts]) for c in COLUMNS}
        order = np.argsort(cols["world"], kind="stable")          # rounds were observed in order
        return pd.DataFrame({c: v[order] for c, v in cols.items()})


def ripe_share(table: pd.DataFrame) -> pd.DataFrame:
    """Share of the worlds still without a deal that are ripe, in a mutually hurting stalemate, and have a
    way out, at each date."""
    cols = ["ripe", "mutually_hurting_stalemate", "way_out"]
    return table.groupby(["round", "date"], as_index=False)[cols].mean()
