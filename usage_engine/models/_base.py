"""The base model and the field types shared by every input model."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Context, Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator

from .._time import milliseconds_hint, not_a_date
from ..errors import NO_VALUE, suggest

__all__ = [
    "MAX_DECIMAL_PLACES",
    "MAX_MAGNITUDE",
    "Amount",
    "DecimalValue",
    "FieldProblem",
    "Model",
    "NonNegativeInt",
    "UtcDatetime",
    "WholeNumber",
    "ZoneName",
    "enum_validator",
    "known_zone",
    "parse_decimal",
    "parse_instant",
    "scalar_text",
    "without_nulls",
]

E = TypeVar("E", bound=StrEnum)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNIX_SECONDS = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_MICROSECOND: Final = Decimal("0.000001")
# Exact for every value parse_decimal lets through (24 integer digits + 6 decimals).
_EXACT: Final = Context(prec=64)

MAX_MAGNITUDE: Final = Decimal("1e24")
"""Input decimals must be smaller than this in absolute value (far beyond any real amount)."""
# Longer than any IANA name; keeps an absurd text from reaching the file system.
_MAX_ZONE_NAME: Final = 64
_MAX_TEXT_BITS: Final = 4096
MAX_DECIMAL_PLACES: Final = 40
"""Input decimals may have at most this many significant decimal places."""


class FieldProblem(ValueError):
    """Raised by a model-level validator to blame one field (``loc``, relative to the model).

    The boundary (``_coerce``) appends ``loc`` to the model's path and reports ``value``
    (:data:`~usage_engine.errors.NO_VALUE` when there is nothing to show, e.g. a missing field).
    """

    def __init__(self, loc: tuple[str | int, ...], message: str, value: Any = NO_VALUE) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message
        self.value = value


def scalar_text(value: Any) -> Any:
    """A number or boolean as its text (a JSON payload may give ``1`` for ``"1"``).

    Anything else is returned unchanged, for the field's string check to refuse: a list or an
    object is not a text, nor is an integer too long for Python to print.

    >>> scalar_text(7), scalar_text(2.5), scalar_text("eu"), scalar_text(["eu"])
    ('7', '2.5', 'eu', ['eu'])
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool | float | Decimal):
        return str(value)
    if isinstance(value, int) and value.bit_length() <= _MAX_TEXT_BITS:
        return str(value)
    return value


def without_nulls(data: Any) -> Any:
    """A mapping as a plain dict without its ``None`` values; anything else unchanged.

    Lago's JSON spells "not set" as ``null``: dropping those keys lets each field take its
    default, and a required field reported as missing rather than as "not a string".

    >>> without_nulls({"code": "vat", "name": None})
    {'code': 'vat'}
    """
    if isinstance(data, Mapping):
        return {key: value for key, value in data.items() if value is not None}
    return data


class Model(BaseModel):
    """Frozen, ignores unknown keys (a Lago payload carries many we do not need).

    A mapping is read as a plain dict and its ``null`` values as absent (:func:`without_nulls`).
    Subclasses' own before-validators run first and call :func:`without_nulls` themselves.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _nulls_are_absent(cls, data: Any) -> Any:
        return without_nulls(data)


def parse_decimal(value: Any) -> Decimal:
    """Read an exact decimal from a string, int, float or Decimal; refuse NaN and infinities.

    Floats are read through their shortest text (``0.1`` gives ``Decimal('0.1')``), so a value
    from ``json.loads`` means what it says. Absurd sizes are refused too (see
    :data:`MAX_MAGNITUDE` and :data:`MAX_DECIMAL_PLACES`): they could only overflow later.

    >>> parse_decimal("12.50"), parse_decimal(0.1), parse_decimal(3)
    (Decimal('12.50'), Decimal('0.1'), Decimal('3'))
    """
    if isinstance(value, bool):
        msg = "must be a decimal number, not a boolean"
        raise ValueError(msg)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            msg = "must be a finite decimal number"
            raise ValueError(msg)
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            # Decimal reads any Unicode digit ("１２", "١٢"); a JSON amount is ASCII.
            if not value.isascii():
                raise InvalidOperation
            number = Decimal(value.strip())
        except InvalidOperation:
            msg = "must be a decimal number such as '12.5'"
            raise ValueError(msg) from None
    else:
        msg = "must be a decimal number (a string such as '12.5', or a number)"
        raise ValueError(msg)
    if not number.is_finite():
        msg = "must be a finite decimal number"
        raise ValueError(msg)
    _check_size(number)
    return number


def _check_size(number: Decimal) -> None:
    if number and number.adjusted() >= MAX_MAGNITUDE.adjusted():
        msg = "is too large: decimals must be below 1e24 in absolute value"
        raise ValueError(msg)
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    if -exponent > MAX_DECIMAL_PLACES:
        trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
        if trailing_zeros < len(digits) and -(exponent + trailing_zeros) > MAX_DECIMAL_PLACES:
            msg = f"has too many decimal places (at most {MAX_DECIMAL_PLACES})"
            raise ValueError(msg)


def _non_negative_decimal(value: Any) -> Decimal:
    number = parse_decimal(value)
    if number < 0:
        msg = "must not be negative"
        raise ValueError(msg)
    return number


def _whole_number(value: Any) -> int:
    if isinstance(value, bool):
        msg = "must be a whole number, not a boolean"
        raise ValueError(msg)
    if isinstance(value, int):
        number = value
        if abs(number) >= MAX_MAGNITUDE:
            msg = "is too large: numbers must be below 1e24 in absolute value"
            raise ValueError(msg)
    else:
        # Through parse_decimal, never pydantic's int parsing: it takes minutes over
        # Decimal('1E-99999999') and lets a ValueError out for Decimal('1E+999999').
        decimal = parse_decimal(value)
        if decimal != decimal.to_integral_value():
            msg = "must be a whole number"
            raise ValueError(msg)
        number = int(decimal)
    return number


def _non_negative_int(value: Any) -> int:
    number = _whole_number(value)
    if number < 0:
        msg = "must not be negative"
        raise ValueError(msg)
    return number


def parse_instant(value: Any) -> datetime:
    """Read an instant: an aware datetime, ISO 8601 text (naive means UTC) or unix seconds.

    A bare date is refused, with the datetime to pass; milliseconds get a hint.

    >>> parse_instant("2024-02-29T10:00:00+01:00")
    datetime.datetime(2024, 2, 29, 9, 0, tzinfo=datetime.timezone.utc)
    >>> parse_instant(0)
    datetime.datetime(1970, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_instant(1741255200000)
    Traceback (most recent call last):
    ...
    ValueError: is out of the supported range of datetimes (1741255200000 looks like \
milliseconds: pass unix seconds, 1741255200)
    """
    if isinstance(value, datetime):
        instant = value
    elif isinstance(value, date):
        raise ValueError(not_a_date(value))
    elif isinstance(value, bool):
        msg = "must be an ISO 8601 datetime or unix seconds, not a boolean"
        raise ValueError(msg)
    elif isinstance(value, int | float | Decimal):
        seconds = parse_decimal(value)
        # Truncate (toward the past) to whole microseconds, exactly: not in the thread's context.
        whole = seconds.quantize(_MICROSECOND, rounding=ROUND_FLOOR, context=_EXACT)
        micros = int(whole.scaleb(6, context=_EXACT))
        try:
            return _EPOCH + timedelta(microseconds=micros)
        except OverflowError:
            msg = "is out of the supported range of datetimes" + milliseconds_hint(value)
            raise ValueError(msg) from None
    elif isinstance(value, str):
        # One rule for every instant, events included: the text is read as it is, ASCII only,
        # with no surrounding whitespace (Python would take "１２", a no-break space or " 12").
        text = value
        if _UNIX_SECONDS.fullmatch(text) and value.isascii():
            return parse_instant(Decimal(text))
        try:
            if not value.isascii() or text != text.strip():
                raise ValueError
            instant = datetime.fromisoformat(text)
        except ValueError:
            msg = "must be an ISO 8601 datetime such as '2024-03-01T00:00:00Z' or unix seconds"
            raise ValueError(msg) from None
    else:
        msg = "must be an ISO 8601 datetime or unix seconds"
        raise ValueError(msg)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    try:
        return instant.astimezone(UTC)
    except OverflowError:  # an offset pushing year 1 or 9999 out of range
        msg = "is out of the supported range of datetimes"
        raise ValueError(msg) from None


def enum_validator(enum: type[E], name: str, *, optional: bool = False) -> BeforeValidator:
    """A before-validator giving a did-you-mean message for an unknown enum value.

    With ``optional``, ``None`` passes through (for fields typed ``E | None``).
    """

    def check(value: Any) -> Any:
        if isinstance(value, enum) or (optional and value is None):
            return value
        if isinstance(value, str):
            try:
                return enum(value)
            except ValueError:
                pass
        choices = [member.value for member in enum]
        msg = suggest(f"unknown {name}; expected one of {', '.join(choices)}", value, choices)
        raise ValueError(msg)

    return BeforeValidator(check)


DecimalValue = Annotated[Decimal, BeforeValidator(parse_decimal)]
"""Any finite decimal, read exactly from a string or a number."""
Amount = Annotated[Decimal, BeforeValidator(_non_negative_decimal)]
"""A finite decimal that must not be negative (prices, rates, bounds)."""
NonNegativeInt = Annotated[int, BeforeValidator(_non_negative_int)]
"""A whole number that must not be negative (sizes, counts, cents)."""
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
"""A whole number, read from an int, a decimal string or an integral number."""
UtcDatetime = Annotated[datetime, BeforeValidator(parse_instant)]
"""An aware datetime in UTC (naive input is read as UTC)."""


_HOST_ZONES: Final = frozenset({"localtime", "posixrules", "Factory"})
_HOST_PREFIXES: Final = ("posix/", "right/")


def known_zone(value: str) -> str:
    """``value`` if it is an IANA timezone name the engine accepts; ValueError if not."""
    try:
        # "localtime" and the like follow the host's settings: the same input would give
        # other periods on another machine.
        if len(value) > _MAX_ZONE_NAME or value in _HOST_ZONES or value.startswith(_HOST_PREFIXES):
            raise ValueError
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a directory of the zone database ('America'), a name too long for a file.
        msg = "is not an IANA timezone name such as 'Europe/Paris' or 'UTC'"
        msg = suggest(msg, value, _zone_names(), max_edits=2)
        raise ValueError(msg) from None
    return value


@lru_cache(maxsize=1)
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones() - _HOST_ZONES))


ZoneName = Annotated[str, AfterValidator(known_zone)]
"""An IANA timezone name that :class:`zoneinfo.ZoneInfo` can load (case-sensitive)."""
