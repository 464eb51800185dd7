"""Compact deduplication keys: a long stream keeps a 96-bit digest of each transaction id.

A rating keeps every ``transaction_id`` it has seen, since any later event may repeat one.
As text, a UUID costs about 120 bytes in a Python set; once a stream has passed
:data:`COMPACT_AFTER` events, each key is kept as a 96-bit integer instead (about 67 bytes),
made of two salted SipHash values of the text (CPython's string hash, salted per process):
Python's ``hash(key)`` and ``hash(key + "\\x1f")``. Two different ids are taken for one with
probability about ``n² / 2⁹⁷`` over ``n`` distinct ids: 4·10⁻¹⁴ for 10⁷ ids, 4·10⁻¹⁰ for 10⁹.
A digest is only compared within the process that made it (never stored or sent), so the
per-process salt does no harm. Shorter streams keep the text, which costs nothing to compare.
"""

from __future__ import annotations

from typing import Final

__all__ = ["COMPACT_AFTER", "key_digest"]

COMPACT_AFTER: Final = 1 << 20
"""Events fed in one stream after which the seen keys are kept as digests (about 120 MB of
text keys at that point; the digests then take a little over half of that per key)."""


def key_digest(key: str) -> int:
    """A 96-bit digest of ``key``, equal for equal keys within one process.

    >>> key_digest("tx-1") == key_digest("tx-1"), key_digest("tx-1") == key_digest("tx-2")
    (True, False)
    >>> key_digest("").bit_length() <= 96
    True
    """
    return (hash(key) << 32) ^ hash(key + "\x1f")
