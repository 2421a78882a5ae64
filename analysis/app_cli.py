"""``zopa app``: serve the dashboard of :mod:`analysis.app` on this machine, with Solara."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

__all__ = ["register", "parse_params"]

# No telemetry or version check (offline), no notes on Mesa's hooks or on cookies over plain http.
_QUIET = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_CHECK_HOOKS": "off",
          "PYTHONWARNINGS": "ignore:Cookies with samesite=none:UserWarning"}
_NEEDS = "the dashboard needs the 'app' extra: pip install 'zopa[app]'"


def _bound(text: str, item: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"--param {item}: found {text!r}, expected a number") from None


def parse_params(items: list[str]) -> dict[str, tuple[float, float]]:
    """``["actors.a.erosion=0:0.02"]`` -> ``{"actors.a.erosion": (0.0, 0.02)}``: a slider's path and range."""
    out = {}
    for item in items:
        key, sep, spec = item.partition("=")
        parts = spec.split(":")
        if not sep or not key.strip() or len(parts) != 2:
            raise ValueError(f"--param {item}: found {spec or item!r}, expected KEY.PATH=LO:HI")
        lo, hi = _bound(parts[0], item), _bound(parts[1], item)
        if not lo < hi:
            raise ValueError(f"--param {item}: found LO {lo:g} >= HI {hi:g}, expected LO < HI")
        out[key.strip()] = (lo, hi)
    return out


def _check(scenario: str, params: dict) -> None:
    """Load the scenario at each slider's ends now, so a bad path is one line here, not an error page."""
    from .. import sim

    for end in (0, 1):
        sim.load_scenario(scenario, {k: v[end] for k, v in params.items()} or None)
    missing = [m for m in ("solara", "solara_assets", "altair") if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(f"{_NEEDS} (found no {', '.join(missing)})")


def _cmd_app(args: argparse.Namespace) -> int:
    params = parse_params(args.param or [])
    scenario = str(Path(args.scenario).resolve())
    _check(scenario, params)
    config = {"scenario": scenario, "params": params, "runs": args.runs, "seed": args.seed}
    env = {**os.environ, "ZOPA_APP_CONFIG": json.dumps(config), **_QUIET}
    print(f"zopa dashboard on http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    command = [sys.executable, "-m", "solara", "run", "zopa.analysis.app", "--host", args.host,
               "--port", str(args.port), "--production", "--no-open", "--no-check-version",
               "--log-level", "warning"]
    sys.stdout.flush()
    os.execve(sys.executable, command, env)     # the server takes this process over: signals reach it


def register(subparsers, wrap=lambda f: f) -> None:
    """Add ``app`` to the ``zopa`` command's subparsers."""
    a = subparsers.add_parser("app", help="serve an interactive dashboard of a scenario in the browser")
    a.add_argument("scenario")
    a.add_argument("--param", action="append", metavar="KEY.PATH=LO:HI",
                   help="a slider for this parameter over LO..HI (repeat for more)")
    a.add_argument("--runs", type=int, default=500, help="worlds at start (default 500)")
    a.add_argument("--seed", type=int, default=0, help="seed at start (default 0)")
    a.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    a.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    a.set_defaults(func=wrap(_cmd_app))
