"""Peer: DuckDB. One SQL statement deduplicates, filters the period and aggregates per fee.

Python prices the aggregated rows (:func:`~benchmarks.peers.pricing.charge_totals`). The JSON
Lines are read with a typed schema derived from the plan (only the property keys the plan uses:
field names, filter keys, group keys), DuckDB's best case. Two ways in: over an in-memory
table loaded beforehand (:func:`load_table`, then :func:`rate_table`), or straight over the
file (:func:`rate_file`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..workload import PERIOD_FROM, PERIOD_TO
from .pricing import DEFAULT_BUCKET, AggRow, Charge, Result, charge_totals

if TYPE_CHECKING:
    import duckdb

__all__ = ["agg_sql", "connect", "insert_file", "load_table", "rate_file", "rate_table"]

# The type of each property key the plan reads; decimal strings stay text and are cast for
# sum and max.
PROP_TYPES = {
    "gb": "VARCHAR",
    "tokens": "BIGINT",
    "seats": "BIGINT",
    "user_id": "VARCHAR",
    "model": "VARCHAR",
    "region": "VARCHAR",
}
DEC = "DECIMAL(38,12)"


def plan_keys(charges: list[Charge]) -> list[str]:
    """The property keys the plan reads, in first-use order."""
    keys: list[str] = []
    for charge in charges:
        used = [charge.field] if charge.field else []
        used += list(charge.group_keys)
        used += [key for _, values, _ in charge.filters for key in values]
        for key in used:
            if key not in keys:
                keys.append(key)
    return keys


def _q(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def source_sql(path: Path | str, charges: list[Charge]) -> str:
    """A ``read_json`` of the file with the plan's typed schema."""
    props = ", ".join(f"{key} {PROP_TYPES.get(key, 'VARCHAR')}" for key in plan_keys(charges))
    return (
        f"read_json({_q(path)}, format='newline_delimited', columns={{"
        "'transaction_id': 'VARCHAR', 'external_subscription_id': 'VARCHAR', "
        f"'code': 'VARCHAR', 'timestamp': 'BIGINT', 'properties': 'STRUCT({props})'}})"
    )


def _units(charge: Charge) -> str:
    column = f"p.{charge.field}" if charge.field else None
    text = PROP_TYPES.get(charge.field or "") == "VARCHAR"
    if charge.aggregation == "count_agg":
        return "count(*)"
    if charge.aggregation == "sum_agg":
        return f"sum(CAST({column} AS {DEC}))" if text else f"sum({column})"
    if charge.aggregation == "max_agg":
        return f"max(CAST({column} AS {DEC}))" if text else f"max({column})"
    if charge.aggregation == "unique_count_agg":
        return f"count(DISTINCT {column})"
    raise NotImplementedError(charge.aggregation)


def _bucket(charge: Charge) -> str:
    if not charge.filters:
        return str(DEFAULT_BUCKET)
    whens = []
    for index, (_, values, _) in enumerate(charge.filters):
        condition = " AND ".join(
            f"p.{key} IN ({', '.join(_q(v) for v in sorted(allowed))})"
            for key, allowed in values.items()
        )
        whens.append(f"WHEN {condition} THEN {index}")
    return f"CASE {' '.join(whens)} ELSE {DEFAULT_BUCKET} END"


def agg_sql(source: str, charges: list[Charge]) -> str:
    """Dedup by (subscription, transaction_id), keep the period, aggregate per fee."""
    codes = ", ".join(_q(code) for code in sorted({c.metric_code for c in charges}))
    parts = []
    for charge in charges:
        group = (
            "[" + ", ".join(f"CAST(p.{key} AS VARCHAR)" for key in charge.group_keys) + "]"
            if charge.group_keys
            else "[]::VARCHAR[]"
        )
        parts.append(
            f"SELECT sub, {charge.index} AS ci, {_bucket(charge)} AS bucket, {group} AS grp, "
            f"CAST(coalesce({_units(charge)}, 0) AS VARCHAR) AS units, count(*) AS n "
            f"FROM ev WHERE code = {_q(charge.metric_code)} GROUP BY ALL"
        )
    return (
        "WITH ev AS MATERIALIZED ("
        "  SELECT sub, code, p FROM ("
        "    SELECT DISTINCT ON (external_subscription_id, transaction_id)"
        '           external_subscription_id AS sub, code, "timestamp" AS ts, properties AS p'
        f"    FROM {source} WHERE code IN ({codes})) "
        f"  WHERE ts >= {PERIOD_FROM} AND ts < {PERIOD_TO}) " + " UNION ALL ".join(parts)
    )


def connect(threads: int = 0) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory database (``threads=0``: DuckDB's default, every core)."""
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads={int(threads)}")
    return con


def load_table(
    con: duckdb.DuckDBPyConnection, path: Path | str, charges: list[Charge], table: str = "raw"
) -> int:
    """Load the JSON Lines into an in-memory table; return its row count."""
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {source_sql(path, charges)}")
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def insert_file(
    con: duckdb.DuckDBPyConnection, path: Path | str, charges: list[Charge], table: str = "raw"
) -> None:
    """Append the events of a JSON Lines file to the table."""
    con.execute(f"INSERT INTO {table} SELECT * FROM {source_sql(path, charges)}")


def _price(fetched: list[Any], charges: list[Charge], subs: list[str]) -> Result:
    rows = (
        AggRow(sub, ci, bucket, tuple(group), units, n)
        for sub, ci, bucket, group, units, n in fetched
    )
    return charge_totals(charges, rows, subs)


def rate_table(
    con: duckdb.DuckDBPyConnection, charges: list[Charge], subs: list[str], table: str = "raw"
) -> Result:
    """Aggregate the in-memory table and price every listed subscription."""
    return _price(con.execute(agg_sql(table, charges)).fetchall(), charges, subs)


def rate_file(
    con: duckdb.DuckDBPyConnection, path: Path | str, charges: list[Charge], subs: list[str]
) -> Result:
    """One SQL statement straight over the JSON Lines file, then pricing."""
    fetched = con.execute(agg_sql(source_sql(path, charges), charges)).fetchall()
    return _price(fetched, charges, subs)
