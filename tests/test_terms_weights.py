"""Terms of Nash deals taken from the weights of the candidate points that give them
(:func:`zopa.sim.engine.terms.from_weights`), against the simplex search and one HiGHS LP per world."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from zopa.sim.engine import protocols, solver as zopa, terms
from zopa.sim.engine.utility import utilities_at
from tests.reference import terms_lp
from tests.test_zopa_property import _worlds, large_instances


def nash_deals(inst):
    """Nash deals of the open worlds under the LP method, after its cutting planes, as the model strikes
    them: (worlds, zone, deal utilities, combo, weights, candidate combinations)."""
    zone = zopa.Zone(_worlds(inst), method="lp")
    r = inst["r"]
    v = zone.evaluate(r, np.ones(len(r), dtype=bool))
    idx = np.where(v.t > 1e-6)[0]
    if not len(idx):
        return None
    zone.prepare(idx, r, "nash")
    p = protocols.Problem(zone.mu[idx], zone.B[idx], zone.feasible[idx], r[idx], np.full(r[idx].shape, 0.9),
                          zone.points(idx), zone.L[idx])
    _, y, combo, lam = protocols.PROTOCOLS["nash"](len(idx), r.shape[1]).strike_weighted(idx, p)
    cand = protocols.holding(p.mu, p.B, p.feasible, y, combo)
    return idx, zone, y, combo, lam, cand


def _settle(inst, deal, weights):
    idx, zone, y, _, _, cand = deal
    kc = inst["kc"]
    return terms.settle(y, cand, zone.L[idx], inst["w"][idx, :, :kc], inst["ideal"][idx], inst["span"][idx],
                        zone.box[0][idx], zone.box[1][idx], floor=inst["r"][idx], weights=weights)


@settings(max_examples=25, deadline=None)
@given(large_instances(), st.sampled_from([0.2, 0.5]))
def test_terms_from_nash_weights_deliver_the_deal_as_the_search_does(inst, shrink):
    """Up to 12 actors and 8 range issues (and up to 2 levels issues): wherever the interior-point method
    gives weights and one levels combination holds the deal, terms come from them; they lie inside every
    actor's red lines, give every actor its agreed utility (to 2e-13) and reservation, and have the
    largest total utility of any terms that deliver it (HiGHS, to 1e-9); the deal as settled (terms,
    combination, utilities) agrees with the simplex search's to 1e-9."""
    inst = {**inst, "r": inst["r"] * shrink}
    deal = nash_deals(inst)
    if deal is None:
        return
    idx, zone, y, combo, lam, cand = deal
    kc, r = inst["kc"], inst["r"][idx]
    w, ideal, span = inst["w"][idx, :, :kc], inst["ideal"][idx], inst["span"][idx]
    a, b = zone.box[0][idx], zone.box[1][idx]
    L = zone.L[idx][np.arange(len(idx)), combo]
    x, u, given_ = terms.from_weights(y, r, cand, zone.L[idx], lam, w, ideal, span, a, b)
    known = np.isfinite(lam).all(axis=(1, 2)) & (cand.sum(axis=1) == 1)
    assert (given_ == known).all(), "weights of a single candidate combination always give the terms"
    for j in np.flatnonzero(given_):
        lo, hi = inst["red_lo"][idx[j]], inst["red_hi"][idx[j]]
        assert (x[j] >= lo - 1e-12).all() and (x[j] <= hi + 1e-12).all()
        assert np.allclose(u[j], utilities_at(x[j][None], w[j][None], ideal[j][None], span[j][None], L[j][None])[0],
                           rtol=0, atol=1e-15)
        assert (u[j] >= y[j] - 2e-13).all() and (u[j] >= r[j] - 1e-14).all()
        total, _ = terms_lp(w[j], ideal[j], span[j], a[j], b[j], L[j], y[j] - 1e-13)
        assert abs(u[j].sum() - total) <= 1e-9 * (1 + abs(total)), (u[j].sum(), total)
    fast, slow = _settle(inst, deal, lam), _settle(inst, deal, None)
    assert (fast[1] == slow[1]).all() and (fast[3] == slow[3]).all()
    assert np.allclose(fast[2], slow[2], rtol=0, atol=1e-9, equal_nan=True)
    ok = fast[1] >= 0
    assert (fast[2][ok] >= y[ok] - 2e-9).all()
    assert np.array_equal(fast[0][given_], x[given_]) and np.array_equal(fast[2][given_], np.maximum(u, r)[given_])


def test_thirty_actors_and_twelve_issues_take_no_simplex(monkeypatch):
    """Thirty actors, twelve range issues, weights drawn per world: every Nash deal's terms come from the
    weights, none from the simplex search, and they deliver the deal to 2e-13."""
    rng = np.random.default_rng(3)
    W, n, kc = 4, 30, 12
    w = rng.uniform(0.2, 2.0, (W, n, kc))
    ideal = rng.random((W, n, kc))
    inst = dict(w=w, kc=kc, ideal=ideal, span=np.maximum(ideal, 1 - ideal),
                red_lo=np.where(np.arange(n)[None, :, None] % 3 == 0, rng.uniform(0, 0.2, (W, n, kc)), 0.0)
                * (np.arange(kc) == 0), red_hi=np.ones((W, n, kc)), level_vals=[], sizes=[], allowed=[],
                r=w.sum(axis=2) * rng.uniform(0.45, 0.6, (W, n)))
    deal = nash_deals(inst)
    assert deal is not None and len(deal[0]) == W

    def no_search(y, *_a, **_k):
        assert not len(y), "the simplex search ran"
        return np.zeros((0, kc))

    monkeypatch.setattr(terms, "terms_for", no_search)
    x, combo, u, status = _settle(inst, deal, deal[4])
    assert (status == "ok").all() and (combo == 0).all()
    assert (u >= deal[2] - 2e-13).all()
