"""Compact deduplication keys: a long stream keeps a 106-bit digest of each transaction id.

A rating keeps every ``transaction_id`` it has seen, since any later event may repeat one.
As text, a UUID costs about 120 bytes in a Python set; once a stream has passed
:data:`COMPACT_AFTER` ids, each is kept as a digest instead, about 59 bytes with its slot.

The digest is two salted SipHash values of the text (CPython's string hash, salted per
process): ``hash(key)`` and ``hash(key + "\\x1f")``, each XORed with a salt of the
subscription and cut to 53 bits, held as the two parts of a ``complex``. A complex of two
whole numbers below 2**53 compares and hashes them exactly and takes 32 bytes, where an
integer of 96 bits takes 40: at 10**7 ids that is 76 MiB less. Two different ids are taken for
one with probability about ``n² / 2¹⁰⁷`` over ``n`` distinct ids: 6·10⁻¹⁹ for 10⁷ ids,
6·10⁻¹⁵ for 10⁹. A digest is only compared within the process that made it (never stored or
sent), so the per-process salt does no harm. Shorter streams keep the text, which costs
nothing to compare.
"""

from __future__ import annotations

import os
from typing import Final

__all__ = ["COMPACT_AFTER", "Salt", "key_digest", "new_salt"]

COMPACT_AFTER: Final = 1 << 16
"""Ids seen by one stream's ratings after which they are kept as digests. Early, so that the
text keys freed then (about 8 MB) leave little behind in the allocator's arenas."""

_BITS: Final = (1 << 53) - 1
"""A double holds every whole number up to 2**53 exactly."""

Salt = tuple[int, int]
"""A subscription's salts for the two halves of its digests."""


def new_salt() -> Salt:
    """Two random 53-bit salts: the same id in two subscriptions gives two digests."""
    return (
        int.from_bytes(os.urandom(7)) & _BITS,
        int.from_bytes(os.urandom(7)) & _BITS,
    )


def key_digest(key: str, salt: Salt = (0, 0)) -> complex:
    """A 106-bit digest of ``key``, equal for equal keys and salts within one process.

    >>> key_digest("tx-1") == key_digest("tx-1"), key_digest("tx-1") == key_digest("tx-2")
    (True, False)
    >>> key_digest("tx-1") == key_digest("tx-1", (1, 0))
    False
    >>> max(key_digest("").real, key_digest("").imag) < 2**53
    True
    """
    return complex((hash(key) ^ salt[0]) & _BITS, (hash(key + "\x1f") ^ salt[1]) & _BITS)
