"""``zopa backtest`` and ``zopa calibrate``: scenarios tested against, and fitted to, what happened."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import warnings
from pathlib import Path

__all__ = ["register"]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"found {text!r}, expected a date YYYY-MM-DD") from None


def _command() -> str:
    return "zopa " + " ".join(sys.argv[1:]) if sys.argv[1:] else "zopa"


def _cmd_backtest(args: argparse.Namespace) -> int:
    from .backtest import backtest, save, summary_text
    from ..sim.cli import claim_out

    if args.out is not None:
        claim_out(args.out, force=args.force, clear=False)     # fail before the work, not after it
    result = backtest(args.scenarios, args.observations, runs=args.runs, seed=args.seed, after=args.after,
                      before=args.before)
    print(summary_text(result))
    if args.out is not None:
        save(result, claim_out(args.out, force=args.force), command=_command())
        print(f"\nScores saved to {args.out}/ (scores.parquet, summary.parquet, reliability.png)")
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from .backtest_plots import pair_figure, posterior_figure
    from .calibrate import calibrate, strongest, write_posterior
    from .figures import save
    from ..sim.cli import claim_out
    from ..sim.scenario.observations import load_observations

    if args.out is not None:
        claim_out(args.out, force=args.force, clear=False)     # fail before the work, not after it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cal = calibrate(args.scenario, args.observations, runs=args.runs, seed=args.seed, until=args.until,
                        tolerance=args.tolerance, date_tolerance=args.date_tolerance, min_ess=args.min_ess)
    table = strongest(cal)
    print(f"{cal.record['scenario']}: rejection ABC over {len(cal.accepted)} worlds, seed {args.seed}")
    print(f"fitted on: {', '.join(cal.fit)}" + (f" (known by {args.until})" if args.until else ""))
    if cal.tolerances:
        print("tolerances: " + ", ".join(f"{k} +/- {v:g}" for k, v in cal.tolerances.items()))
    print(f"accepted {int(cal.accepted.sum())} worlds: effective sample size {cal.ess:.0f}")
    for w in caught:
        print(f"zopa: warning: {w.message}", file=sys.stderr)
    print("\n" + table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    total = len(load_observations(args.observations).observations)
    if args.until is not None and cal.accepted.any() and len(cal.fit) < total:
        from .backtest import score_held_out, summary_text
        print(f"\nHeld-out observations (known after {args.until}), prior against accepted worlds:\n")
        print(summary_text(score_held_out(cal, after=args.until)))
    if args.out is None or not cal.accepted.any():
        return 0
    out = claim_out(args.out, force=args.force)
    out.mkdir(parents=True, exist_ok=True)
    columns = list(table["parameter"])
    save(posterior_figure(cal.prior, cal.posterior, columns), out / "posterior.png")
    if len(columns) >= 2:
        save(pair_figure(cal.prior, cal.posterior, columns[0], columns[1]), out / "pair.png")
    from ..sim.io import write_atomic
    write_atomic(out / "accepted.parquet", lambda p: cal.posterior.to_parquet(p, index=False))
    scenario = write_posterior(cal, out / "posterior.yaml", draws=args.draws, seed=args.seed)
    print(f"\nPosterior scenario (resampled accepted worlds, marginals): {scenario}; forecast with "
          f"zopa run {scenario}")
    return 0


def register(subparsers) -> None:
    """Add ``backtest`` and ``calibrate`` to the ``zopa`` command's subparsers."""
    b = subparsers.add_parser("backtest", help="score scenarios' forecasts against dated observations")
    b.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    b.add_argument("--observations", required=True, metavar="FILE", help="observation file (YAML)")
    b.add_argument("--runs", type=int, default=1000, help="worlds per scenario (default 1000)")
    b.add_argument("--seed", type=int, default=0, help="seed (default 0); the same seed gives the same scores")
    b.add_argument("--after", type=_date, default=None, help="score only observations known after this date")
    b.add_argument("--before", type=_date, default=None, help="score only observations known by this date")
    b.add_argument("--out", default=None, help="directory for scores.parquet, summary and reliability.png")
    b.add_argument("--force", action="store_true", help="replace the results of an earlier run in --out")
    b.set_defaults(func=_cmd_backtest)
    c = subparsers.add_parser("calibrate", help="fit a scenario's uncertain parameters to dated observations")
    c.add_argument("scenario")
    c.add_argument("--observations", required=True, metavar="FILE", help="observation file (YAML)")
    c.add_argument("--runs", type=int, default=10_000, help="prior worlds to simulate (default 10000)")
    c.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    c.add_argument("--until", type=_date, default=None,
                   help="fit only observations known by this date; later ones are held out")
    c.add_argument("--tolerance", type=float, default=None,
                   help="absolute tolerance for quantities whose observation gives none")
    c.add_argument("--date-tolerance", type=int, default=0, help="rounds a date may miss by (default 0)")
    c.add_argument("--min-ess", type=int, default=100, help="warn below this effective sample size")
    c.add_argument("--draws", type=int, default=200, help="accepted worlds resampled into the posterior scenario")
    c.add_argument("--out", default=None, help="directory for plots, accepted.parquet and posterior.yaml")
    c.add_argument("--force", action="store_true", help="replace the results of an earlier run in --out")
    c.set_defaults(func=_cmd_calibrate)
