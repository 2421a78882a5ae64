"""How zopa scales: world-rounds per second and peak memory by actors, issues, levels and worlds.

Every case runs in its own subprocess on one core (BLAS threads pinned to 1), so its peak resident memory
(``resource.getrusage``) is its own. Scenarios are synthetic: n actors with ideals spread over [0, 1] on
every range issue, levels issues of 5 levels, reservations eroding each round so zones open over time,
weights either the same in every world or drawn per world. Two bare numpy kernels of december-2022's minimal
arithmetic (state updates and the width for every world) are timed in the same run: the scenario's before
its revision (beliefs and reservations only) and the revised one's on its own worlds (front line, red lines
and ideals that follow it, costs, patron's aid, trigger conditions); zopa's throughput on december-2022 is
printed as a ratio of each.

    python benchmarks/scale.py [--quick] [--timeout SECONDS] [--methods] [--only TEXT]

``--only`` runs the cases whose label contains TEXT (and december-2022 only if it does).
``--methods`` times both exact methods back to back on each problem size, in processor seconds after a
warm-up, which is what ``sim.engine.solver.ENUMERATE_MAX`` is set from.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LEVELS = ("l0", "l1", "l2", "l3", "l4")


def synthetic(n: int, kc: int, kl: int = 0, *, drawn: bool = False, protocol: str = "nash",
              horizon: int = 24, seed: int = 0) -> dict:
    """A scenario of ``n`` actors, ``kc`` range issues on [0, 1] and ``kl`` levels issues of 5 levels."""
    rng = np.random.default_rng(seed)
    issues = {f"r{k}": {"range": [0, 1]} for k in range(kc)}
    issues.update({f"v{k}": {"levels": list(LEVELS)} for k in range(kl)})
    actors = {}
    for i in range(n):
        w = {k: (round(float(rng.uniform(0.5, 2)), 3) if not drawn else
                 {"uniform": sorted(round(float(x), 3) for x in rng.uniform(0.2, 2, 2))}) for k in issues}
        ideal = {k: round(float(rng.random()), 3) for k in issues if k.startswith("r")}
        ideal.update({k: str(rng.choice(LEVELS)) for k in issues if k.startswith("v")})
        actor = {"weights": w, "ideal": ideal, "reservation": {"uniform": [0.45, 0.6]},
                 "erosion": {"uniform": [0.005, 0.02]}, "discount": 0.9}
        if kc and i % 3 == 0:
            actor["red_lines"] = {"r0": {"min": round(float(rng.uniform(0, 0.2)), 3)}}
        actors[f"a{i}"] = actor
    return {"name": f"scale-{n}x{kc}x{kl}", "title": "synthetic scale case", "calendar": {"start": "2024-01-01", "step": "month"},
            "horizon": horizon, "protocol": protocol, "issues": issues, "actors": actors}


def _case(spec: dict) -> dict:
    """Run one case in this process: seconds, world-rounds and peak memory."""
    import resource

    sys.path.insert(0, str(ROOT))
    from zopa import sim
    from zopa.sim.engine import solver

    if spec.get("method"):                                      # force one method (for the cost model)
        solver.choose_method = lambda *a, **k: spec["method"]

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        if spec.get("scenario"):
            path = Path(spec["scenario"])
        else:
            path.write_text(yaml.safe_dump(synthetic(**spec["make"])))
        s = sim.load_scenario(path)
        t0, c0 = time.perf_counter(), time.process_time()
        m = sim.NegotiationModel(s, runs=spec["worlds"], rng=1, history=False)
        rounds = 0
        while m.running:
            rounds += int(m.active.sum())
            m.step()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": seconds, "cpu": cpu, "world_rounds": spec["worlds"] * (s.horizon + 1), "live_rounds": rounds,
            "peak": peak, "method": m.zone.method, "agreed": float(m.deal.agreed.mean())}


def kernel(worlds: int, rounds: int = 121, repeat: int = 3) -> float:
    """World-rounds per second of a bare numpy kernel of december-2022's minimal arithmetic: beliefs
    from one battle a round, reservations p - c less erosion, and the width min over 21 dual candidates
    of a (W, C) facet table (one combination), for every world every round."""
    rng = np.random.default_rng(0)
    n, C = 3, 21
    mu = rng.dirichlet(np.ones(n), (worlds, C))
    B = rng.random((worlds, C))
    cost, erosion = rng.random((worlds, n)) * 0.1, rng.random((worlds, n)) * 0.01
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        wins, fought = np.zeros(worlds), 0
        for rnd in range(rounds):
            wins += rng.binomial(1, 0.5, worlds)
            fought += 1
            p = np.stack([(2 + wins) / (4 + fought), (2 + fought - wins) / (4 + fought), np.full(worlds, 0.5)], 1)
            r = p - cost - erosion * rnd
            t = (B - (mu @ r[:, :, None])[:, :, 0]).min(axis=1)
            _ = t >= 0
        best = min(best, time.perf_counter() - t0)
    return worlds * rounds / best



def kernel_revised(worlds: int, rounds: int = 121, repeat: int = 3) -> float:
    """World-rounds per second of a bare numpy kernel of the revised december-2022's minimal arithmetic, on the
    scenario's own worlds (drawn by zopa, untimed): one battle a round at odds moved by the patron's aid, the
    line moved by the drawn step, red lines and ideals written relative to the line following it, costs of war
    accumulated with memory, beliefs, reservations p - c less erosion and costs, the trigger conditions as
    comparisons (6 a round; the red lines they would loosen stay as written, which keeps worlds closed and
    the kernel's work small), the red lines' common box, and the width (the support over the clipped ideals,
    the dual candidates and the levels combinations) in the worlds whose box holds an outcome."""
    from zopa import sim
    m = sim.NegotiationModel(sim.load_scenario(ROOT / "scenarios" / "december-2022.yaml"), runs=worlds, seed=1,
                             history=False)
    wd, z, dyn = m.worlds, m.zone, m.worlds.dyn
    W, n, kc = wd.ideal.shape
    mu, w, j = z.mu, wd.w_range, dyn.front
    muL = z.muL if z.dense else np.concatenate([z.L[part] @ np.swapaxes(mu[part], 1, 2)        # (W, combos, C)
                                                for part in np.array_split(np.arange(W), max(1, W // 100_000))])
    (patron, e), = dyn.odds_e.items()
    step = dyn.front_step.sample(np.random.default_rng(0), W)
    rel_lo, rel_hi = wd.rel_lo[:, :, j], wd.rel_hi[:, :, j]
    ideal_rel = np.full((W, n), np.nan) if dyn.ideal_rel is None else dyn.ideal_rel      # None: none relative
    base, war_cost, erosion = np.nan_to_num(wd.base), wd.war_cost, wd.erosion
    rng, thresholds = np.random.default_rng(0), np.random.default_rng(1).random((6, W))
    best = np.inf
    for _ in range(repeat):
        ideal, span, red_lo, red_hi = wd.ideal.copy(), wd.span.copy(), wd.red_lo.copy(), wd.red_hi.copy()
        line, wins, fought, costs = wd.line.copy(), np.zeros(W), 0, np.zeros((W, n))
        t0 = time.perf_counter()
        for rnd in range(rounds):
            won = rng.binomial(1, np.clip(wd.p_a + dyn.patron_side[patron] * e * (wd.aid[patron] - 1.0), 0, 1))
            wins += won
            fought += 1
            line = np.clip(line + dyn.front_sign * step * (1 - 2 * won), wd.lo[j], wd.hi[j])
            ideal[:, :, j] = np.where(np.isnan(ideal_rel), ideal[:, :, j], np.clip(line[:, None] + ideal_rel, 0, 1))
            span[:, :, j] = np.maximum(ideal[:, :, j] - wd.lo[j], wd.hi[j] - ideal[:, :, j])
            red_lo[:, :, j] = np.where(np.isnan(rel_lo), red_lo[:, :, j], np.clip(line[:, None] + rel_lo, 0, 1))
            red_hi[:, :, j] = np.where(np.isnan(rel_hi), red_hi[:, :, j], np.clip(line[:, None] + rel_hi, 0, 1))
            costs = dyn.cost_memory * costs + dyn.cost_round + dyn.cost_battle
            p = np.stack([(1 + wins) / (2 + fought), (1 + fought - wins) / (2 + fought), np.full(W, 0.5)], 1)
            r = np.where(base > 0, base, p - war_cost) - erosion * rnd - costs
            _ = [(costs[:, k % n] >= thresholds[k]) for k in range(6)]
            a, b = red_lo.max(axis=1), red_hi.min(axis=1)                                  # (W, kc)
            ok = np.flatnonzero((a <= b).all(axis=1))
            t = np.full(W, -np.inf)
            if len(ok):
                pts = np.clip(np.swapaxes(ideal[ok], 1, 2), a[ok, :, None], np.maximum(a, b)[ok, :, None])
                H = np.zeros((len(ok), mu.shape[1]))
                for k in range(kc):       # the utilities of the clipped points, their best under each mu
                    u = w[ok, :, k, None] * (1 - np.abs(pts[:, k, None, :] - ideal[ok, :, k, None]) / span[ok, :, k, None])
                    H += sum(mu[ok, :, i, None] * u[:, None, i, :] for i in range(n)).max(axis=2)
                rm = sum(mu[ok, :, i] * r[ok, i, None] for i in range(n))
                t[ok] = (H[:, None, :] + muL[ok] - rm[:, None, :]).min(axis=2).max(axis=1)
            _ = t >= 0
        best = min(best, time.perf_counter() - t0)
    return W * rounds / best

CASES = [  # (label, make, worlds): the engine alone (egalitarian deals), then the protocols
    *[(f"{n} actors, 2 issues, shared weights", dict(n=n, kc=2, protocol="egalitarian"), 1000)
      for n in (2, 3, 5, 8, 12, 20, 30)],
    *[(f"{n} actors, 2 issues, weights per world", dict(n=n, kc=2, drawn=True, protocol="egalitarian"), 1000)
      for n in (3, 5, 12)],
    *[(f"3 actors, {k} issues, weights per world", dict(n=3, kc=k, drawn=True, protocol="egalitarian"), 1000)
      for k in (1, 2, 4, 8, 12)],
    ("12 actors, 8 issues, weights per world", dict(n=12, kc=8, drawn=True, protocol="egalitarian"), 1000),
    ("30 actors, 12 issues, weights per world", dict(n=30, kc=12, drawn=True, protocol="egalitarian"), 1000),
    *[("3 actors, 1 + 5 levels issues (3,125 combinations)", dict(n=3, kc=1, kl=5, drawn=True,
                                                                 protocol="egalitarian"), w)
      for w in (10_000, 100_000)],
    *[(f"3 actors, 2 issues, weights per world, {p}", dict(n=3, kc=2, drawn=True, protocol=p), 1000)
      for p in ("nash", "kalai-smorodinsky", "alternating-offers", "concession")],
    *[(f"{n} actors, 2 issues, weights per world, {p}", dict(n=n, kc=2, drawn=True, protocol=p), 1000)
      for n in (8, 12) for p in ("nash", "kalai-smorodinsky")],
    *[(f"12 actors, 2 issues, weights per world, {p}", dict(n=12, kc=2, drawn=True, protocol=p), 100)
      for p in ("alternating-offers", "concession")],
    ("30 actors, 12 issues, weights per world, nash", dict(n=30, kc=12, drawn=True, protocol="nash"), 1000),
]
DEC = ("december-2022", [1000, 10_000, 100_000, 1_000_000])


def _run(spec: dict, timeout: float) -> dict | None:
    code = f"import json, sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import scale; " \
           f"print(json.dumps(scale._case(json.loads(sys.argv[1]))))"
    try:
        out = subprocess.run([sys.executable, "-c", code, json.dumps(spec)], capture_output=True, text=True,
                             timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode:
        lines = out.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit status {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(label: str, worlds: int, res: dict | None, timeout: float) -> str:
    if res is None:
        return f"| {label} | {worlds:,} | - | over {timeout:.0f} s | - | - |"
    if "error" in res:
        return f"| {label} | {worlds:,} | - | {res['error'][:60]} | - | - |"
    rate = res["world_rounds"] / res["seconds"]
    return (f"| {label} | {worlds:,} | {res['method']} | {res['seconds']:.1f} s | {rate:,.0f} | "
            f"{res['peak'] / 2 ** 20:,.0f} MB |")


METHOD_CASES = [(3, 2), (3, 3), (3, 4), (3, 5), (3, 6), (3, 8), (3, 12), (4, 1), (4, 2), (4, 3), (5, 2)]


def _engine_seconds(s, method: str | None, worlds: int) -> tuple[float, str]:
    """Processor seconds to build and run ``worlds`` worlds with one method (None: the engine's choice)."""
    from zopa.sim.engine import solver

    choose = solver.choose_method
    if method:
        solver.choose_method = lambda *a, **k: method
    try:
        t0 = time.process_time()
        m = sim_model(s, worlds)
        while m.running:
            m.step()
        return time.process_time() - t0, m.zone.method
    finally:
        solver.choose_method = choose


def sim_model(s, worlds: int):
    from zopa import sim
    return sim.NegotiationModel(s, runs=worlds, rng=1, history=False)


def methods(worlds: int = 1000, repeat: int = 2) -> None:
    """Both exact methods back to back on each size, in one process after a warm-up, in processor seconds
    (robust to other jobs on a shared machine), then the engine's own choice: 3 actors and 8 range issues
    against 2 (the scale target: within 4x)."""
    sys.path.insert(0, str(ROOT))
    from zopa import sim
    from zopa.sim.engine.vertices import subset_count

    def scenario(n, kc):
        path = Path(tempfile.mkdtemp()) / "s.yaml"
        path.write_text(yaml.safe_dump(synthetic(n, kc, drawn=True, protocol="egalitarian")))
        return sim.load_scenario(path)

    cases = [(f"{n} actors, {kc} issues", subset_count(n, kc), 1, scenario(n, kc), worlds) for n, kc in METHOD_CASES]
    cases.append(("december-2022", 21, 9, sim.load_scenario(ROOT / "scenarios" / "december-2022.yaml"), 300))
    for *_, s, _w in cases:                                                  # warm-up: imports, caches
        _engine_seconds(s, "enumerate", 5), _engine_seconds(s, "lp", 5)
    print("| case | subsets | combinations | worlds | enumerate | lp | chosen |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, subsets, combos, s, w in cases:
        e = min(_engine_seconds(s, "enumerate", w)[0] for _ in range(repeat))
        lp = min(_engine_seconds(s, "lp", w)[0] for _ in range(repeat))
        chosen = _engine_seconds(s, None, 2)[1]
        print(f"| {label} | {subsets:,} | {combos} | {w:,} | {e:.2f} s | {lp:.2f} s | {chosen} |", flush=True)
    two, eight = scenario(3, 2), scenario(3, 8)
    t2 = min(_engine_seconds(two, None, worlds)[0] for _ in range(repeat))
    t8 = min(_engine_seconds(eight, None, worlds)[0] for _ in range(repeat))
    print(f"\nengine's choice, 3 actors, {worlds:,} worlds: 2 issues {t2:.2f} s, 8 issues {t8:.2f} s: {t8 / t2:.1f}x")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a few small cases only")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per case")
    p.add_argument("--methods", action="store_true", help="both exact methods back to back by size (the threshold)")
    p.add_argument("--only", default=None, help="only the cases whose label contains this text")
    args = p.parse_args(argv)
    if args.methods:
        methods()
        return
    cases = CASES[:3] if args.quick else CASES
    dec_worlds = DEC[1][:2] if args.quick else DEC[1]
    if args.only is not None:
        cases = [c for c in cases if args.only in c[0]]
        dec_worlds = dec_worlds if args.only in DEC[0] else []
    print("| case | worlds | method | time | world-rounds/s | peak memory |")
    print("|---|---:|---|---:|---:|---:|")
    for label, make, worlds in cases:
        print(_row(label, worlds, _run({"make": make, "worlds": worlds}, args.timeout), args.timeout), flush=True)
    dec = str(ROOT / "scenarios" / "december-2022.yaml")
    rates = {}
    for worlds in dec_worlds:
        res = _run({"scenario": dec, "worlds": worlds}, 10 * args.timeout)
        print(_row("december-2022, no history", worlds, res, 10 * args.timeout), flush=True)
        if res and "error" not in res:
            rates[worlds] = res["world_rounds"] / res["seconds"]
    if not rates:
        return
    old, bare = kernel(10_000), kernel_revised(10_000)
    print(f"\nbare numpy kernel of december-2022's arithmetic before its revision (10,000 worlds): {old:,.0f} "
          "world-rounds/s")
    print(f"bare numpy kernel of the revised december-2022's arithmetic (10,000 worlds): {bare:,.0f} world-rounds/s")
    for worlds, rate in rates.items():
        # the kernel again at the run's own size, where its arrays meet the same caches and memory
        same = bare if worlds == 10_000 else kernel_revised(worlds, repeat=1 if worlds >= 100_000 else 3)
        print(f"zopa on december-2022, {worlds:,} worlds: {rate:,.0f} world-rounds/s = {rate / same:.2f} of the "
              f"revised kernel at {worlds:,} worlds ({same:,.0f} world-rounds/s); {rate / bare:.2f} of it at "
              f"10,000 worlds, {rate / old:.2f} of the earlier one")


if __name__ == "__main__":
    main()
