"""The error a designation step raises when a review rule refuses it."""

from __future__ import annotations

from collections.abc import Sequence

from overt.errors import OvertError


class DesignationError(OvertError):
    """A review step was refused: the message names the rule and what would satisfy it.

    ``reasons`` lists every rule that refused the step (approving an incomplete designation can fail several
    completeness checks at once); the message joins them.
    """

    def __init__(self, message: str, reasons: Sequence[str] = ()) -> None:
        self.reasons = list(reasons)
        text = message if not self.reasons else "\n".join([message, *(f"- {reason}" for reason in self.reasons)])
        super().__init__(text)
