"""Events: one usage record sent to Lago."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from ._base import DecimalValue, Model, UtcDatetime

__all__ = ["Event"]


class Event(Model):
    """An event in Lago's shape. ``timestamp`` is unix seconds or ISO 8601 (naive means UTC).

    The engine reads plain mappings on its hot path; this model is for callers who want an
    event validated up front.
    """

    transaction_id: str = Field(min_length=1)
    external_subscription_id: str = Field(min_length=1)
    code: str = Field(min_length=1)
    timestamp: UtcDatetime
    properties: dict[str, Any] = Field(default_factory=dict)
    precise_total_amount_cents: DecimalValue | None = None

    @field_validator("transaction_id", "external_subscription_id", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("properties", mode="before")
    @classmethod
    def _no_properties(cls, value: Any) -> Any:
        return {} if value is None else value
