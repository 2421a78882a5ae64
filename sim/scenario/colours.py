"""Actor colours, checked when the scenario is read (not after a simulation, when a figure is drawn).

A colour is ``#rgb``, ``#rrggbb`` or ``#rrggbbaa`` in hexadecimal, a CSS colour name (W3C CSS Color
Module Level 4, the names matplotlib knows as ``CSS4_COLORS``), one of Tableau's ``tab:blue`` ...
``tab:gray``, or a colour-cycle entry ``C0`` to ``C9``: all of them colours every plotting library reads.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import did_you_mean

__all__ = ["parse_colour", "CSS_NAMES"]

CSS_NAMES = frozenset("""
    aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet brown
    burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue
    darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange
    darkorchid darkred darksalmon darkseagreen darkslateblue darkslategray darkslategrey darkturquoise
    darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia
    gainsboro ghostwhite gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo
    ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan
    lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen lightskyblue
    lightslategray lightslategrey lightsteelblue lightyellow lime limegreen linen magenta maroon
    mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen mediumslateblue
    mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream mistyrose moccasin
    navajowhite navy oldlace olive olivedrab orange orangered orchid palegoldenrod palegreen
    paleturquoise palevioletred papayawhip peachpuff peru pink plum powderblue purple rebeccapurple red
    rosybrown royalblue saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue slateblue
    slategray slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet wheat white
    whitesmoke yellow yellowgreen
""".split())
TABLEAU = frozenset(f"tab:{n}" for n in "blue orange green red purple brown pink gray olive cyan".split())
_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_CYCLE = re.compile(r"C[0-9]")


def parse_colour(raw: Any) -> str:
    """The colour unchanged if every figure can draw it; a ``found X, expected Y`` error otherwise."""
    if isinstance(raw, str) and (_HEX.fullmatch(raw) or _CYCLE.fullmatch(raw) or raw.lower() in CSS_NAMES
                                 or raw.lower() in TABLEAU):
        return raw
    hint = did_you_mean(raw.lower(), sorted(CSS_NAMES | TABLEAU)) if isinstance(raw, str) else ""
    raise ValueError(f"found colour {raw!r}, expected #rrggbb, a CSS colour name such as 'steelblue', "
                     f"tab:blue ... tab:gray or C0 ... C9{hint}")
