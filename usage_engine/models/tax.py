"""Taxes applied to charge fees."""

from __future__ import annotations

from pydantic import Field

from ._base import Amount, Model

__all__ = ["Tax"]


class Tax(Model):
    """A tax in Lago's shape: ``rate`` is a percentage (``"20"`` means 20 %)."""

    code: str = Field(min_length=1)
    rate: Amount
    name: str | None = None
