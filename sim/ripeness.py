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
    """Records what ripeness needs from a model, round by round, as the model steps."""

    def __init__(self, model, *, window: int = 3, margin: float = 0.05, optimism: float = 0.05):
        if window < 1:
            raise ValueError(f"window: found {window}, expected a whole number >= 1")
        self.window, self.margin, self.optimism = window, margin, optimism
        self.side, self.battles = model.worlds.side, max(1, model.worlds.battles)
        self.has_belief = ~np.isnan(model.worlds.prior[:, 0])
        self.dates = model.dates
        self.rows: list[dict] = []
        self.observe(model)

    def observe(self, model) -> None:
        """Note the round the model has just evaluated."""
        before = model.deal.agreed & (model.deal.round < model.round)
        self.rows.append({"round": model.round, "r": model.last["reservation"].copy(),
                          "width": model.last["zopa_width"].copy(), "net": model.net_a_losses.copy(),
                          "belief": model.belief.copy(), "live": ~before})

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
        w = self.window
        parts = []
        for t, row in enumerate(self.rows):
            W = len(row["width"])
            if t >= w:
                old = self.rows[t - w]
                hurting = (row["r"] < old["r"] - 1e-12).all(axis=1)
                stalemate = np.abs(row["net"] - old["net"]) <= self.battles
            else:
                hurting = stalemate = np.zeros(W, dtype=bool)
            converged = self._optimism(row["belief"]) <= 1 + self.optimism
            mhs = hurting & stalemate & converged
            way_out = row["width"] >= -self.margin
            keep = row["live"]
            parts.append(pd.DataFrame({
                "world": np.arange(W)[keep], "round": row["round"],
                "date": np.datetime64(self.dates[row["round"]], "ns"), "width": row["width"][keep],
                "hurting": hurting[keep], "stalemate": stalemate[keep], "beliefs_converged": converged[keep],
                "mutually_hurting_stalemate": mhs[keep], "way_out": way_out[keep], "ripe": (mhs & way_out)[keep]}))
        out = pd.concat(parts, ignore_index=True)[COLUMNS]
        return out.sort_values(["world", "round"], kind="stable", ignore_index=True)


def ripe_share(table: pd.DataFrame) -> pd.DataFrame:
    """Share of the worlds still without a deal that are ripe, in a mutually hurting stalemate, and have a
    way out, at each date."""
    cols = ["ripe", "mutually_hurting_stalemate", "way_out"]
    return table.groupby(["round", "date"], as_index=False)[cols].mean()
