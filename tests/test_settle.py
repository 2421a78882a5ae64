"""A world the fast path cannot settle goes to the exact slow path; one that still fails is marked in the
outcome table and warned about, and never stops the other worlds."""

from __future__ import annotations

import numpy as np
import pytest

from zopa.sim.engine import protocols, terms
from tests.cases import run, two_party

RUNS = 6


def _finds_nothing(w, ideal, span, a, b, L, y, tol):
    """A vectorised search that fails in every world."""
    return np.full((len(w), 1), np.nan)


def test_fast_path_failure_goes_to_the_exact_lp(tmp_path, monkeypatch):
    """Nash (1950) with reservations (0.2, 0): the share is 0.6 in every world, also when the vectorised
    search finds nothing and every world is settled by its own LP."""
    calls = []
    one = terms._one
    monkeypatch.setattr(terms, "_single_issue", _finds_nothing)
    monkeypatch.setattr(terms, "_one", lambda *a: calls.append(1) or one(*a))
    o = run(tmp_path, two_party(reservations=(0.2, 0.0)), runs=RUNS).outcomes
    assert len(calls) == RUNS
    assert (o["status"] == "ok").all() and o["agreed"].all()
    assert o["terms.share"].to_numpy() == pytest.approx(np.full(RUNS, 0.6), abs=1e-9)


def test_unsettled_world_is_marked_and_the_others_go_on(tmp_path, monkeypatch):
    """Worlds whose agreed utilities no terms deliver (forced: a point beyond the frontier) end without a
    deal, with the reason in ``status`` and one warning giving the count; the rest strike the Nash deal."""
    choose = protocols.Nash.choose

    def broken(self, problem):
        y, combo = choose(self, problem)
        y = y.copy()
        y[::2] += 0.5                             # every other world: utilities no outcome gives
        return y, combo

    monkeypatch.setattr(protocols.Nash, "choose", broken)
    with pytest.warns(RuntimeWarning, match=f"^{RUNS // 2} of {RUNS} worlds could not be settled"):
        o = run(tmp_path, two_party(reservations=(0.2, 0.0)), runs=RUNS).outcomes
    bad = np.arange(RUNS) % 2 == 0
    assert (o.loc[bad, "status"] == "no terms deliver the agreed utilities").all()
    assert not o.loc[bad, "agreed"].any() and o.loc[bad, "terms.share"].isna().all()
    assert (o.loc[~bad, "status"] == "ok").all() and o.loc[~bad, "agreed"].all()
    assert o.loc[~bad, "terms.share"].to_numpy() == pytest.approx(np.full(RUNS // 2, 0.6), abs=1e-9)


def test_protocol_without_a_deal_point_is_marked(tmp_path, monkeypatch):
    choose = protocols.Nash.choose

    def broken(self, problem):
        y, combo = choose(self, problem)
        y = y.copy()
        y[0] = np.nan
        return y, combo

    monkeypatch.setattr(protocols.Nash, "choose", broken)
    with pytest.warns(RuntimeWarning, match=f"^1 of {RUNS} worlds"):
        o = run(tmp_path, two_party(reservations=(0.2, 0.0)), runs=RUNS).outcomes
    assert o["status"].tolist() == ["the protocol found no deal point"] + ["ok"] * (RUNS - 1)
