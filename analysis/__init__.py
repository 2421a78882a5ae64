"""What users do with zopa's results: parameter sweeps, outcome statistics, sensitivity,
scenario discovery, figures.

Reads only ``sim``'s public API; ``sim`` never imports this package.
"""

from .design import design_points
from .discovery import Discovery, discover
from .stats import wilson
from .sweeps import Sweep, sweep
from .sensitivity import sobol_indices

__all__ = ["sweep", "Sweep", "design_points", "sobol_indices", "wilson", "discover", "Discovery"]
