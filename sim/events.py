"""Dated events: what an event may set, when it takes effect, and what it does to the worlds.

An event sets parameters by dotted path (as ``--set`` does) from its date on; its values are drawn per
world like any other parameter, from their own stream (``events.<i>.set.<path>``). The scenario reader
checks paths against :data:`SETTABLE`; the model calls :func:`apply` on each event's round.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["SETTABLE", "schedule", "apply"]

# Paths an event (or an override) may change during a run; * is any actor or issue.
SETTABLE = (
    "actors.*.reservation", "actors.*.reservation.war.cost", "actors.*.erosion",
    "actors.*.red_lines.*.min", "actors.*.red_lines.*.max", "actors.*.red_lines.*.allowed",
    "battlefield.p_a", "mediation", "patrons.*.aid",
)


def schedule(events, dates: np.ndarray, sample: Callable) -> list[tuple[int, str, object]]:
    """Each event's settings as ``(round, path, values)``, in round order; events after the horizon drop.

    ``sample(param, path)`` draws one value per world (see :mod:`sim.model.worlds`); the allowed levels of
    a red line are kept as a list of names.
    """
    from .scenario.params import parse_param

    out = []
    for e_i, ev in enumerate(events):
        rnd = int(np.searchsorted(dates, np.datetime64(ev.date, "D")))
        if rnd >= len(dates):
            continue
        for key, value in ev.set.items():
            if key.endswith(".allowed"):
                out.append((rnd, key, list(value)))
            else:
                out.append((rnd, key, sample(parse_param(value), f"events.{e_i}.set.{key}")))
    return sorted(out, key=lambda e: e[0])


def apply(worlds, path: str, values) -> bool:
    """Put one event setting in force in every world; returns whether red lines moved."""
    from .model.worlds import allowed_mask, apply_red_lines
    from .scenario.schema import RedLine

    wd, parts = worlds, path.split(".")
    if parts[0] == "battlefield":
        wd.p_a = values
        return False
    if parts[0] == "mediation":
        wd.mediation = values
        return False
    if parts[0] == "patrons":
        wd.aid[parts[1]] = np.array(values, dtype=float)
        return False
    i = wd.actors.index(parts[1])
    if parts[2] == "erosion":
        if not wd.erosion.flags.writeable:      # one row for all worlds (sim.model.worlds): set on a copy
            wd.erosion = wd.erosion.copy()
        wd.erosion[:, i] = values
    elif parts[2] == "reservation" and len(parts) == 3:
        wd.base[:, i], wd.war_p[:, i], wd.prior[i] = values, np.nan, np.nan
        wd.war_cost[:, i] = 0.0
    elif parts[2] == "reservation":
        wd.war_cost[:, i] = values
    elif parts[4] == "allowed":
        levels = wd.levels[wd.level_issues.index(parts[3])]
        apply_red_lines(wd, i, {parts[3]: ("levels", allowed_mask(RedLine(allowed=tuple(values)), levels))})
        return True
    else:
        bound = ("range", values, None) if parts[4] == "min" else ("range", None, values)
        apply_red_lines(wd, i, {parts[3]: bound})
        return True
    return False
