"""Bargaining protocols: each chooses a deal inside the ZOPA, in utility space.

Protocols work on the worlds that strike a deal this round, all at
once; :mod:`.terms` turns the chosen utilities back into terms on each issue.

Every protocol is a :class:`Protocol` registered in :data:`PROTOCOLS` (the one list of names: the scenario
schema reads it); the algorithms themselves are plain functions on arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .bargaining import (EPS, alternating_offers, combo_widths, egalitarian, holding, ideal_gains as _ideal_gains,
                         kalai_smorodinsky, nash, pick as _pick)

__all__ = ["PROTOCOLS", "Deal", "Problem", "Protocol", "register", "egalitarian", "nash", "kalai_smorodinsky",
           "alternating_offers", "combo_widths", "holding", "Concession"]


@dataclass(frozen=True)
class Problem:
    """The worlds that strike a deal this round; every array is indexed by those worlds first."""

    mu: np.ndarray           # (W, C, n) dual candidates
    B: np.ndarray            # (W, combos, C) support values, B[w, l, c] = H(mu_c) + mu_c . L_l
    feasible: np.ndarray     # (W, combos) bool: the combination lies inside every red line
    r: np.ndarray            # (W, n) reservations
    discount: np.ndarray     # (W, n) per-round discount factors
    points: np.ndarray       # (W, kc, J, n) utilities of the clipped candidate points of range issues
    level_utils: np.ndarray  # (W, combos, n) utilities of the levels part of each combination


class Deal(tuple):
    """What :meth:`Protocol.choose` returns, the pair ``(utilities (m, n), combo (m,))``, carrying
    ``weights``: convex weights (m, kc, J) of ``Problem.points`` on each issue that give each deal in its
    combination, where the protocol knows them (nan rows where not), which
    :func:`sim.engine.terms.settle` takes its terms from (a plain pair carries none)."""

    def __new__(cls, y, combo, weights=None):
        deal = super().__new__(cls, (y, combo))
        deal.weights = weights
        return deal


PROTOCOLS: dict[str, type["Protocol"]] = {}
"""Every protocol by its scenario name, filled by :func:`register`."""


def register(cls):
    """Class decorator: add a :class:`Protocol` to :data:`PROTOCOLS` under its ``name``."""
    PROTOCOLS[cls.name] = cls
    return cls


class Protocol:
    """A bargaining protocol for ``runs`` worlds of ``n_actors`` actors.

    One-shot protocols override :meth:`choose`; a protocol that takes several rounds of talks keeps its
    per-world state on the object and overrides :meth:`strike`.
    """

    name: ClassVar[str]
    widest: ClassVar[bool] = False     # its deal lies in the widest levels combination (fewer to search)

    def __init__(self, runs: int, n_actors: int, *, step: float = 0.1):
        self.runs, self.n_actors, self.step = runs, n_actors, step

    def choose(self, problem: Problem) -> tuple[np.ndarray, np.ndarray]:
        """Agreed utilities (m, n) and levels combination (m,) for every row of ``problem``."""
        raise NotImplementedError

    def strike(self, idx: np.ndarray, problem: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Deals for the worlds ``idx`` (indices into the model's worlds) whose rows make ``problem``.

        Returns (agreed bool (m,), utilities (m, n), combo (m,)); one-shot protocols agree everywhere.
        """
        y, combo = self.choose(problem)
        return np.ones(len(idx), dtype=bool), y, combo

    def strike_weighted(self, idx: np.ndarray, problem: Problem):
        """:meth:`strike`, and the weights of the candidate points that give each deal where the protocol
        knows them (a :class:`Deal`'s ``weights``; None if it never does)."""
        return (*self.strike(idx, problem), None)

    def rests_on(self, idx: np.ndarray) -> np.ndarray:
        """Utility points besides the deal that must be feasible after :meth:`strike` on worlds ``idx``:
        (m, P, n), in the deal's levels combination (none for one-shot protocols)."""
        return np.zeros((len(idx), 0, self.n_actors))


@register
class Nash(Protocol):
    """Nash (1950): the largest product of gains over reservation."""

    name = "nash"

    def choose(self, p):
        return Deal(*nash(p.mu, p.B, p.feasible, p.r, points=p.points, level_utils=p.level_utils, weights=True))

    def strike_weighted(self, idx, p):
        deal = self.choose(p)
        y, combo = deal
        return np.ones(len(idx), dtype=bool), y, combo, getattr(deal, "weights", None)


@register
class KalaiSmorodinsky(Protocol):
    """Kalai & Smorodinsky (1975): gains in proportion to each actor's ideal gain."""

    name = "kalai-smorodinsky"

    def choose(self, p):
        return kalai_smorodinsky(p.mu, p.B, p.feasible, p.r)


@register
class Egalitarian(Protocol):
    """Kalai (1977): the largest equal gain for every actor."""

    name = "egalitarian"
    widest = True

    def choose(self, p):
        return egalitarian(p.mu, p.B, p.feasible, p.r)


@register
class AlternatingOffers(Protocol):
    """Rubinstein (1982): stationary subgame-perfect offers, actors proposing in turn."""

    name = "alternating-offers"

    def choose(self, p):
        return alternating_offers(p.mu, p.B, p.feasible, p.r, discount=p.discount)


@register
class Concession(Protocol):
    """Zeuthen's monotonic concession (Zeuthen 1930; Harsanyi 1956).

    Each actor opens with its best point of the ZOPA (its ideal gain, the others at reservation) in the
    levels combination of the Nash solution; both ends of the path are recomputed every round of talks,
    as reservations move. Every round of talks, the actor least willing to risk a
    breakdown (smallest risk limit ``(g_i(own) - g_i(worst rival offer)) / g_i(own)``) concedes a step
    along the straight path from its opening offer to the Nash point; Harsanyi (1956) showed Zeuthen's
    rule leads to the Nash solution, which is where the path ends. A deal is struck when one offer
    gives every actor at least what its own offer gives it.
    """

    name = "concession"

    def __init__(self, runs: int, n_actors: int, *, step: float = 0.1):
        super().__init__(runs, n_actors, step=step)
        self.tau = np.zeros((runs, n_actors))
        self.target = np.zeros((runs, n_actors))
        self.opening = np.zeros((runs, n_actors, n_actors))
        self.combo = np.zeros(runs, dtype=int)

    def strike(self, idx, problem):
        self.start(idx, problem)
        return self.advance(idx, problem.r)

    def start(self, idx, p):
        """Recompute both ends of every actor's concession path for worlds ``idx``."""
        mu, r = p.mu, p.r
        y, combo = nash(mu, p.B, p.feasible, r, points=p.points, level_utils=p.level_utils)
        gains = _ideal_gains(mu, _pick(p.B, combo), r)
        n = r.shape[1]
        self.target[idx] = y
        self.combo[idx] = combo
        self.opening[idx] = r[:, None, :] + np.eye(n)[None] * gains[:, :, None]

    def rests_on(self, idx):
        """Every opening offer and the Nash point: the ends of every concession path."""
        return np.concatenate([self.opening[idx], self.target[idx][:, None, :]], axis=1)

    def offers(self, idx):
        t = self.tau[idx][:, :, None]
        return (1 - t) * self.opening[idx] + t * self.target[idx][:, None, :]   # (W, proposer, n)

    def advance(self, idx, r):
        """One round of talks for worlds ``idx``: returns (agreed mask, utilities, combo)."""
        y = self.offers(idx)
        g = y - r[:, None, :]
        own = np.einsum("wii->wi", g)
        accept = (g >= own[:, None, :] - 1e-12).all(axis=2)                     # (W, proposer)
        agreed = accept.any(axis=1)
        choice = accept.argmax(axis=1)
        deal = y[np.arange(len(idx)), choice]
        n = r.shape[1]
        rival = np.where(np.eye(n, dtype=bool)[None], np.inf, np.swapaxes(g, 1, 2)).min(axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            risk = np.where(own > EPS, (own - rival) / own, 0.0)
        tau = self.tau[idx]
        risk = np.where(tau < 1.0, risk, np.inf)                                     # nothing left to concede
        concede = risk <= risk.min(axis=1, keepdims=True) + 1e-12
        self.tau[idx] = np.where(~agreed[:, None] & concede, np.minimum(tau + self.step, 1.0), tau)
        return agreed, deal, self.combo[idx]
