"""Battle draws: numpy's binomial, the same numbers from the same stream, without its per-element cost.

A round draws one binomial per world twice (battles fought under a partial deal, then battles won), with a
handful of battles a round. ``Generator.binomial`` spends most of its time per element, not per draw. Where
every ``n * min(p, 1 - p)`` is at most 30, numpy draws by inversion (Kachitvichyanukul & Schmeiser 1988,
numpy's ``random_binomial_inversion``): one uniform per world that draws at all (``n > 0`` and ``p > 0``),
read against the binomial's probabilities in turn, with ``p`` replaced by ``1 - p`` and the count by
``n - X`` above one half. :func:`binomial` does the same arithmetic on whole arrays: the uniforms come from
``Generator.random``, which reads the stream exactly as the inversion does, one double per world.

Two cases it hands back to numpy, with the stream put back as it was first:

- an inversion that starts over (a count above numpy's bound, which floating point alone can reach);
- a uniform within ``tie`` of a probability it is compared with: numpy's ``exp`` and ``log`` may round
  otherwise than the C library's, and there only could the two disagree.

Neither happens in practice (the second has a chance of about ``tie`` a world); tests compare every draw
and the stream's state afterwards with numpy's own.
"""

from __future__ import annotations

import numpy as np

__all__ = ["binomial"]

MAX_N = 10          # up to 10 trials numpy always inverts, and never caps the count below n
TIE = 1e-12


def binomial(rng: np.random.Generator, n, p, *, tie: float = TIE) -> np.ndarray:
    """``rng.binomial(n, p)`` for an array ``p``: the same values, and ``rng`` left in the same state.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int or numpy.ndarray
        Trials, broadcast against ``p``.
    p : numpy.ndarray
        Chance of success per trial.
    tie : float, keyword-only
        A uniform this close to a probability it is compared with sends the draw to numpy.
    """
    n, p = np.asarray(n), np.asarray(p)
    if not _inverted(n, p):
        return rng.binomial(n, p)
    shape = np.broadcast_shapes(n.shape, p.shape)
    nb = np.broadcast_to(n, shape).ravel()
    pb = np.broadcast_to(p, shape).ravel()
    draw = (pb != 0.0) & (nb != 0)          # numpy draws no uniform for these
    idx = slice(None) if draw.all() else np.flatnonzero(draw)
    nb, pb = nb[idx], pb[idx]
    state = rng.bit_generator.state
    u = rng.random(pb.size)
    one = (nb == 1).all()
    counts = _bernoulli(u, pb, tie) if one else _inversion(u, nb.astype(np.int64), pb, tie)
    if counts is None:
        rng.bit_generator.state = state
        return rng.binomial(n, p)
    out = np.zeros(draw.size, dtype=np.int64)
    out[idx] = counts
    return out.reshape(shape)


def _inverted(n: np.ndarray, p: np.ndarray) -> bool:
    """Whether numpy draws every element of ``binomial(n, p)`` by inversion, with few enough trials here
    that its count never exceeds ``n`` (anything else, errors among them, goes to numpy as it is):
    ``n * min(p, 1 - p) <= 30`` holds for any ``n <= 10``."""
    if p.ndim == 0 or p.dtype != np.float64 or n.dtype.kind not in "iu" or not (p.size and n.size):
        return False
    return bool(n.min() >= 0 and n.max() <= MAX_N and p.min() >= 0.0 and p.max() <= 1.0)   # NaN fails too


def _bernoulli(u, p, tie):
    """:func:`_inversion` for one trial: a success where the uniform exceeds ``1 - p`` (``p <= 1/2``;
    otherwise a failure where it exceeds ``p``). numpy's second probability, ``p (1 - p) / (1 - p)``, is
    ``p`` to a unit in the last place: it starts over only where the uniform clears ``1 - p`` by ``p``."""
    if not len(u):
        return np.zeros(0, dtype=np.int64)
    low = np.minimum(p, 1.0 - p)            # numpy's p, or 1 - p above one half
    gap = u - (1.0 - low)
    if np.abs(gap).min() <= tie or (gap - low).max() >= -tie:
        return None
    won = gap > 0.0
    won ^= p > 0.5
    return won.astype(np.int64)


def _inversion(u, n, p, tie):
    """Counts drawn by inversion from uniforms ``u``, as numpy computes them; None where numpy would start
    over or a uniform comes within ``tie`` of a probability it is compared with.

    numpy's first probability is ``exp(n log(1 - p))``; ``(1 - p) ** n`` is within a few units in the last
    place of it, and the probabilities after it follow by numpy's own recurrence, so a comparison that
    clears ``tie`` comes out as numpy's does."""
    flip = p > 0.5
    p = np.where(flip, 1.0 - p, p)
    q = 1.0 - p
    px = q ** n                                 # q ** 1 is q
    x = np.zeros(len(u), dtype=np.int64)
    live = np.arange(len(u))                    # the draws still counting up
    while live.size:
        gap = u[live] - px[live]
        if (np.abs(gap) <= tie).any():
            return None
        up = gap > 0.0
        live, gap = live[up], gap[up]
        if not live.size:
            break
        x[live] += 1
        if (x[live] > n[live]).any():           # numpy starts over: its probabilities ran out
            return None
        u[live] = gap
        px[live] = ((n[live] - x[live] + 1) * p[live] * px[live]) / (x[live] * q[live])
    return np.where(flip, n - x, x)
