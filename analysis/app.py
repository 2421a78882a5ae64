"""The dashboard ``zopa app`` serves: Mesa's SolaraViz around the negotiation model.

The sidebar's sliders set the number of worlds, the seed, the world the timeline follows and the
parameters chosen with ``--param``; *Reset* builds the model anew from them, *Step* and the play button
advance it round by round (the live chart of the shares of worlds with a ZOPA, talks and a deal). The
timeline, survival and terms figures show the whole horizon of the same worlds: the same scenario,
overrides, worlds and seed give the same ensemble as ``zopa.simulate``.

Run with ``zopa app SCENARIO`` (which sets :data:`CONFIG_VARIABLE`), or in a notebook::

    from zopa.analysis.app import Dashboard
    Dashboard("scenarios/december-2022.yaml", {"actors.russia.erosion": (0.0, 0.02)})
"""

from __future__ import annotations

import functools
import json
import os
from typing import Mapping

import solara
from mesa.visualization import SolaraViz, make_plot_component

from .. import sim
from . import plots

__all__ = ["DashboardModel", "Dashboard", "model_params", "Page", "CONFIG_VARIABLE"]

CONFIG_VARIABLE = "ZOPA_APP_CONFIG"
ALL_WORLDS = -1
_SHARES = {"zopa_open": "#2e86c1", "talks": "#d68910", "agreed": "#27ae60"}


class DashboardModel(sim.NegotiationModel):
    """The negotiation model, plus the world the dashboard's timeline follows (``-1``: all worlds).

    The overrides are ``**kwargs``: Mesa's SolaraViz accepts parameters it does not see in the signature
    only under that name.
    """

    def __init__(self, scenario, *, runs: int = 500, rng=0, world: int = ALL_WORLDS, **kwargs):
        super().__init__(scenario, runs=runs, rng=rng, **kwargs)
        self.world = int(world)


def model_params(scenario: str, params: Mapping[str, tuple[float, float]], *, runs: int = 500,
                 seed: int = 0) -> dict:
    """SolaraViz's ``model_params``: sliders for worlds, seed, the timeline's world and each parameter.

    ``params`` maps a dotted path (as with ``--set``) to its slider's ``(low, high)``; the slider
    starts half-way.
    """
    out = {
        "scenario": scenario,
        "runs": {"type": "SliderInt", "label": "worlds", "value": runs, "min": 50, "max": max(2000, runs),
                 "step": 50},
        "rng": {"type": "SliderInt", "label": "seed", "value": seed, "min": 0, "max": max(100, seed), "step": 1},
        "world": {"type": "SliderInt", "label": "timeline: world (-1 = all)", "value": ALL_WORLDS,
                  "min": ALL_WORLDS, "max": 49, "step": 1},
    }
    for key, (lo, hi) in params.items():
        out[key] = {"type": "SliderFloat", "label": key, "value": (lo + hi) / 2, "min": lo, "max": hi,
                    "step": (hi - lo) / 50}
    return out


@functools.lru_cache(maxsize=8)
def _results(file: str, overrides: tuple, runs: int, seed: int) -> sim.Results:
    scenario = sim.load_scenario(file, dict(overrides) or None)
    return sim.simulate(scenario, runs=runs, seed=seed)


def results_of(model: sim.NegotiationModel) -> sim.Results:
    """The whole-horizon results of the worlds ``model`` steps (memoised: figures redraw only on Reset)."""
    return _results(str(model.spec.file), tuple(sorted(model.overrides.items())), model.runs,
                    int(model.root.entropy))


def _figure(draw):
    def component(model):
        results = results_of(model)
        key = (id(results), getattr(model, "world", ALL_WORLDS))
        fig = solara.use_memo(lambda: draw(results, model), list(key))
        return solara.FigureMatplotlib(fig, dependencies=list(key), format="png")
    component.__name__ = draw.__name__
    return component


def _timeline(results, model):
    world = getattr(model, "world", ALL_WORLDS)
    return plots.zopa_timeline(results, world=world if 0 <= world < model.runs else None)


def _survival(results, model):
    return plots.survival(results)


def _terms(results, model):
    return plots.terms(results)


def _label_shares(ax) -> None:
    ax.set_xlabel("round")
    ax.set_ylabel("share of worlds (0-1)")
    ax.set_title("live: worlds with a ZOPA, talks, a deal", fontsize=10)


def _about(model):
    spec = model.spec
    seed = int(model.root.entropy)
    chosen = ", ".join(f"{k} = {v:.4g}" for k, v in model.overrides.items()) or "none"
    return solara.Markdown(
        f"**{spec.title or spec.name}**  \n{model.runs} worlds, seed {seed}, round {model.round} of "
        f"{spec.horizon}, protocol {spec.protocol}  \nparameters set: {chosen}  \n"
        "The live chart follows the model as it steps; the timeline, survival and terms figures show the "
        "same worlds over the whole horizon.")


COMPONENTS = [_about, make_plot_component(_SHARES, post_process=_label_shares),
              _figure(_timeline), _figure(_survival), _figure(_terms)]


@solara.component
def Dashboard(scenario: str, params: Mapping[str, tuple[float, float]] | None = None, runs: int = 500,
              seed: int = 0):
    """The dashboard, a Solara component: ``Dashboard("s.yaml", {"actors.a.reservation": (0, 0.5)})`` as a
    notebook cell's value shows it there."""
    chosen = model_params(str(scenario), dict(params or {}), runs=runs, seed=seed)
    start = {k: (v["value"] if isinstance(v, dict) else v) for k, v in chosen.items()}
    model = solara.use_memo(lambda: DashboardModel(**start), [])      # one model per browser session
    name = f"zopa: {model.spec.title or model.spec.name}"
    return SolaraViz(model, components=COMPONENTS, model_params=chosen, name=name)


@solara.component
def Page():
    """The page ``solara run zopa.analysis.app`` serves, configured by ``zopa app`` through the environment."""
    config = json.loads(os.environ.get(CONFIG_VARIABLE, "{}"))
    if "scenario" not in config:
        return solara.Error(f"start the dashboard with: zopa app SCENARIO (found no {CONFIG_VARIABLE})")
    params = {k: tuple(v) for k, v in config.get("params", {}).items()}
    return Dashboard(config["scenario"], params, runs=config.get("runs", 500), seed=config.get("seed", 0))
