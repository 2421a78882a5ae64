"""The report ``zopa discover`` prints: PRIM's boxes with their limits, then the tree's best leaves."""

from __future__ import annotations

import numpy as np

__all__ = ["discovery_text"]


def _share(p: float) -> str:
    return f"{100 * p:.1f}%"


def _limit(row) -> str:
    if row["levels"] is not None and not (isinstance(row["levels"], float) and np.isnan(row["levels"])):
        return f"in {{{', '.join(map(str, row['levels']))}}}"
    return f"{row['lower']:.4g} .. {row['upper']:.4g}   (of {row['minimum']:.4g} .. {row['maximum']:.4g})"


def _qp(row) -> str:
    values = [q for q in (row["qp_lower"], row["qp_upper"]) if q is not None and np.isfinite(q) and q >= 0]
    return f"   quasi-p {max(values):.2g}" if values else ""


def _box_lines(d) -> list[str]:
    if not len(d.boxes):
        return [f"PRIM found no box that restricts a parameter; try a lower --threshold "
                f"(now {d.threshold:g}) or a smaller --mass-min."]
    lines = []
    for b in d.boxes.itertuples():
        short = "" if b.density >= d.threshold else f"   (below the threshold {d.threshold:g})"
        lines.append(f"box {b.box}: coverage {_share(b.coverage)}, density {_share(b.density)}, "
                     f"mass {_share(b.mass)} ({b.k} of {b.n} rows), {b.res_dim} restricted{short}")
        if b.dropped:
            lines.append(f"  (dropped as possibly chance, quasi-p above --prune: {b.dropped})")
        rows = d.limits[d.limits["box"] == b.box]
        width = max(len(p) for p in rows["parameter"])
        lines += [f"  {r['parameter']:<{width}}  {_limit(r)}{_qp(r)}" for _, r in rows.iterrows()]
    return lines


def discovery_text(d, *, leaves: int = 3) -> str:
    """A plain-text report of a :class:`analysis.discovery.Discovery`."""
    k, n = int(d.y.sum()), len(d.y)
    lines = [f"outcome: {d.outcome}",
             f"{k} of {n} rows ({_share(k / n)}) of interest; {d.x.shape[1]} inputs",
             "",
             f"PRIM boxes (Friedman and Fisher 1999), density threshold {d.threshold:g}:"]
    lines += _box_lines(d)
    lines += ["", "CART leaves (Breiman et al. 1984), densest first:"]
    for r in d.tree_boxes.head(leaves).itertuples():
        lines.append(f"  coverage {_share(r.coverage)}, density {_share(r.density)}, mass {_share(r.mass)}: "
                     f"{r.rule}")
    return "\n".join(lines)
