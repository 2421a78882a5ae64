"""The engine: plain functions on arrays of worlds.

:mod:`.solver` computes the exact zone of possible agreement, :mod:`.protocols` choose a deal inside it,
:mod:`.terms` turns agreed utilities back into terms; :mod:`.utility` and :mod:`.linalg` are the shared
formula and helpers. Nothing here knows about Mesa, YAML or tables.
"""
