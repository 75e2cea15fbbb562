"""The one error type of the engine: bad input is refused, never turned into a wrong day."""

from __future__ import annotations


class EngineInputError(ValueError):
    """Input that does not follow engine-rules.md B1/B2/G1; the message starts with the field.

    A ValueError subclass so ``zk-replay`` reports it and exits with status 2.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
