"""The plain-language report of :func:`sim.why`: shares, ranked binding constraints and the median
smallest concessions with their 10-90% ranges, in each issue's own units."""

from __future__ import annotations

import pandas as pd

from .stats import central_term, spread

__all__ = ["report", "concession_summary", "binding_summary", "percent"]

KEYS = ["kind", "actor", "issue", "bound"]


def _label(scenario, actor: str) -> str:
    spec = scenario.actors.get(actor) if scenario is not None else None
    return (spec.label or actor) if spec is not None else actor


def _name(scenario, row) -> str:
    who = f"{_label(scenario, row['actor'])}'s"
    if row["kind"] == "reservation":
        return f"{who} reservation"
    side = {"min": "minimum", "max": "maximum", "allowed": "allowed levels"}[row["bound"]]
    return f"{who} {row['issue']} red line ({side})"


def _num(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1e4 else f"{x:.3e}"


def percent(share: float) -> str:
    """A share as a percentage, with a decimal below 1% so that rare is not shown as never."""
    return f"{100 * share:.1f}%" if 0 < share < 0.01 else f"{100 * share:.0f}%"


def _range(m, lo, hi) -> str:
    return f"{_num(m)} ({_num(lo)}-{_num(hi)})"


def binding_summary(w) -> pd.DataFrame:
    """Constraints ranked by the share of worlds without a zone in which they bind, with their median
    dual weight."""
    ct = w.constraints[~w.constraints["open"]]
    closed = ct["world"].nunique()
    rows = []
    clash = set(w.worlds.loc[w.worlds["clash"], "world"])
    for key, g in ct[ct["binds"]].groupby(KEYS, sort=False):
        m, lo, hi = spread(g["weight"])
        rows.append(dict(zip(KEYS, key), share=g["world"].nunique() / max(closed, 1),
                         share_clash=g["world"].isin(clash).sum() / max(closed, 1), weight=m,
                         weight_lo=lo, weight_hi=hi))
    cols = KEYS + ["share", "share_clash", "weight", "weight_lo", "weight_hi"]
    return pd.DataFrame(rows, columns=cols).sort_values(["share", "weight"], ascending=False, ignore_index=True)


def concession_summary(w) -> pd.DataFrame:
    """Per constraint, the share of worlds without a zone where it alone can open it, and the median
    smallest concession (value now, value needed, size of the move) with 10-90% ranges."""
    ct = w.constraints[~w.constraints["open"]]
    closed = ct["world"].nunique()
    rows = []
    for key, g in ct.groupby(KEYS, sort=False):
        ok = g[g["alone"]]
        move, move_lo, move_hi = spread(ok["move"])
        need, need_lo, need_hi = spread(ok["needed"])
        rows.append(dict(zip(KEYS, key), unit=g["unit"].iloc[0], share_alone=len(ok) / max(closed, 1),
                         value=spread((ok if len(ok) else g)["value"])[0], needed=need, needed_lo=need_lo, needed_hi=need_hi,
                         needed_level=central_term(ok["needed_level"][ok["needed_level"] != ""]),
                         move=move, move_lo=move_lo, move_hi=move_hi))
    cols = KEYS + ["unit", "share_alone", "value", "needed", "needed_lo", "needed_hi", "needed_level",
                   "move", "move_lo", "move_hi"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["share_alone", "move"], ascending=[False, True], ignore_index=True)


def _concession_line(sc, row) -> str:
    name = _name(sc, row)
    share = f"in {percent(row['share_alone'])} of them"
    if row["kind"] == "reservation":
        return f"  {name} would have to drop by {_range(row['move'], row['move_lo'], row['move_hi'])} utility, {share}"
    if row["bound"] == "allowed":
        steps = f"{row['move']:.0f} level" + ("s" if row["move"] != 1 else "")
        return f"  {name} would have to allow {row['needed_level']} ({steps} further), {share}"
    unit = f" {row['unit']}" if 0 < len(row["unit"]) <= 24 else ""
    return (f"  {name} would have to move from {_num(row['value'])} to "
            f"{_range(row['needed'], row['needed_lo'], row['needed_hi'])}{unit}, {share}")


def _clash_lines(w) -> list[str]:
    k = w.clashes
    out = []
    for (issue, low, high), g in k.groupby(["issue", "low", "high"], sort=False):
        share = f"{100 * g['world'].nunique() / len(w.worlds):.0f}% of worlds"
        gap = _range(*spread(g["gap"]))
        if g["unit"].iloc[0] == "levels":
            names = " and ".join(_label(w.scenario, a) for a in g["actors"].iloc[0].split(","))
            out.append(f"  {issue}: no level allowed by every actor; {names} must allow {gap} more level(s) "
                       f"({share})")
        else:
            lo = " and ".join(_label(w.scenario, a) for a in low.split(","))
            hi = " and ".join(_label(w.scenario, a) for a in high.split(","))
            unit = f" {g['unit'].iloc[0]}" if 0 < len(g["unit"].iloc[0]) <= 24 else ""
            out.append(f"  {issue}: {lo}'s minimum lies {gap}{unit} above {hi}'s maximum ({share})")
    return out


def _coalition_lines(w) -> list[str]:
    co = w.coalitions
    if not len(co):
        return []
    n = co["world"].nunique()
    own = co[(co["size"] >= 2) & co["open"]].groupby("coalition", sort=False)["world"].nunique()
    block = co[co["minimal_blocking"]].groupby("coalition", sort=False)["world"].nunique()
    fmt = lambda s: ", ".join(f"{c} {100 * v / n:.0f}%" for c, v in s.sort_values(ascending=False).items()) or "none"
    return ["Coalitions with a zone of their own (share of those worlds): " + fmt(own),
            "Minimal blocking coalitions: " + fmt(block)]


def report(w) -> str:
    """The whole report as text."""
    sc, wt = w.scenario, w.worlds
    n, closed = len(wt), int((~wt["open"]).sum())
    lines = [f"Why no deal: {sc.name} at round {w.round} ({w.date}), {w.record.get('runs')} worlds, "
             f"seed {w.record.get('seed')}", "",
             f"Every world made its deal before this round." if n == 0 else
             f"A zone of agreement is open in {100 * (n - closed) / max(n, 1):.1f}% of the {n} worlds "
             f"without an earlier deal; closed in {closed}."]
    if closed == 0:
        return "\n".join(lines + _ripeness_lines(w))
    if len(w.clashes):
        lines += ["", f"Red lines that leave no outcome at all ({100 * wt['clash'].mean():.0f}% of worlds):"]
        lines += _clash_lines(w)
    lines += ["", "What binds (share of the worlds without a zone; width gained per unit of relaxation):"]
    for _, r in binding_summary(w).head(10).iterrows():
        parts = [f"in a clash in {percent(r['share_clash'])}"] if r["share_clash"] > 0 else []
        if r["weight"] == r["weight"]:
            parts.append(f"weight {_range(r['weight'], r['weight_lo'], r['weight_hi'])}"
                         + (" elsewhere" if r["share_clash"] > 0 else ""))
        lines.append(f"  {_name(sc, r)}: binds in {percent(r['share'])}; " + ", ".join(parts))
    lines += ["", "Smallest concession that alone opens the zone (median, 10-90% range):"]
    table = concession_summary(w)
    lines += [_concession_line(sc, r) for _, r in table[table["share_alone"] > 0].iterrows()]
    never = [_name(sc, r) for _, r in table[table["share_alone"] == 0].iterrows()]
    if never:
        lines.append("  cannot alone in any of them: " + ", ".join(never))
    lines += _joint_lines(wt)
    lines += [""] + _coalition_lines(w) + _ripeness_lines(w)
    return "\n".join(lines)


def _joint_lines(wt) -> list[str]:
    c = wt[~wt["open"] & ~wt["clash"]]
    if not len(c):
        return ["", "Joint concessions: none (every closed world has a red-line clash)."]
    out = ["", f"Every actor conceding the same utility: {_range(*spread(c['equal_concession']))} each"]
    pairs = c[c["pair"] != ""]
    if len(pairs):
        top = pairs["pair"].value_counts()
        best = top.index[0]
        g = pairs[pairs["pair"] == best]
        out.append(f"Cheapest pair of reservation drops: {best.replace('+', ' and ')} in "
                   f"{100 * top.iloc[0] / len(c):.0f}% of worlds, {_range(*spread(g['pair_total']))} in all")
    return out


def _ripeness_lines(w) -> list[str]:
    r = w.ripeness[w.ripeness["round"] == w.round]
    if not len(r):
        return []
    return ["", f"Ripeness (Zartman 2000) at this round: ripe in {100 * r['ripe'].mean():.0f}% of worlds "
                f"(mutually hurting stalemate {100 * r['mutually_hurting_stalemate'].mean():.0f}%, "
                f"a way out {100 * r['way_out'].mean():.0f}%)"]
