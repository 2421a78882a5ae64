"""The Mesa model: a scenario laid out as per-world arrays, stepped round by round."""

from .negotiation import ActorAgent, NegotiationModel

__all__ = ["NegotiationModel", "ActorAgent"]
