"""Peer: Polars. A lazy query deduplicates, filters the period and aggregates per fee.

Python prices the aggregated rows (:func:`~benchmarks.peers.pricing.charge_totals`). The
DataFrame has a typed schema derived from the plan, as for DuckDB; it is built beforehand from
the event dicts (:func:`frame_from_dicts`) or a JSON Lines file (:func:`read_frame`).
Polars uses every core unless ``POLARS_MAX_THREADS`` is set before it is imported. The query
runs on the in-memory engine: the streaming one was 5-10x slower for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..workload import PERIOD_FROM, PERIOD_TO
from .duckdb_ref import PROP_TYPES, plan_keys
from .pricing import DEFAULT_BUCKET, AggRow, Charge, Result, charge_totals

if TYPE_CHECKING:
    import polars as pl

__all__ = ["PolarsRater", "frame_from_dicts", "read_frame"]


def _schema(charges: list[Charge]) -> dict[str, Any]:
    import polars as pl

    types = {"VARCHAR": pl.String, "BIGINT": pl.Int64}
    properties = {key: types[PROP_TYPES.get(key, "VARCHAR")] for key in plan_keys(charges)}
    return {
        "transaction_id": pl.String,
        "external_subscription_id": pl.String,
        "code": pl.String,
        "timestamp": pl.Int64,
        "properties": pl.Struct(properties),
    }


def frame_from_dicts(events: Sequence[dict[str, Any]], charges: list[Charge]) -> pl.DataFrame:
    """A typed DataFrame of the event dicts."""
    import polars as pl

    return pl.from_dicts(events, schema=_schema(charges))


def read_frame(path: Path | str, charges: list[Charge]) -> pl.DataFrame:
    """A typed DataFrame of a JSON Lines file."""
    import polars as pl

    return pl.read_ndjson(path, schema=_schema(charges))


class PolarsRater:
    """The plan's aggregation as a lazy query, built once."""

    def __init__(self, charges: list[Charge]) -> None:
        self.charges = charges
        self.keys = plan_keys(charges)
        self._aggregate = self._build()

    def _build(self) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
        import polars as pl

        decimal = pl.Decimal(38, 12)
        codes = sorted({charge.metric_code for charge in self.charges})
        keys, charges = self.keys, self.charges

        def aggregate(frame: pl.LazyFrame) -> pl.LazyFrame:
            events = (
                frame.filter(pl.col("code").is_in(codes))
                .unique(subset=["external_subscription_id", "transaction_id"], keep="any")
                .filter((pl.col("timestamp") >= PERIOD_FROM) & (pl.col("timestamp") < PERIOD_TO))
                .select(
                    pl.col("external_subscription_id").alias("sub"),
                    "code",
                    *[pl.col("properties").struct.field(k).alias(f"p_{k}") for k in keys],
                )
            )
            parts = []
            for charge in charges:
                column = pl.col(f"p_{charge.field}") if charge.field else pl.lit(None)
                if PROP_TYPES.get(charge.field or "") == "VARCHAR":
                    numeric = column.cast(decimal)
                else:
                    numeric = column
                if charge.aggregation == "count_agg":
                    units = pl.len()
                elif charge.aggregation == "sum_agg":
                    units = numeric.sum()
                elif charge.aggregation == "max_agg":
                    units = numeric.max()
                elif charge.aggregation == "unique_count_agg":
                    units = column.drop_nulls().n_unique()
                else:
                    raise NotImplementedError(charge.aggregation)
                bucket = pl.lit(DEFAULT_BUCKET)
                for index, (_, values, _) in reversed(list(enumerate(charge.filters))):
                    condition = pl.lit(True)
                    for key, allowed in values.items():
                        condition = condition & pl.col(f"p_{key}").is_in(sorted(allowed))
                    bucket = (
                        pl.when(condition.fill_null(False)).then(pl.lit(index)).otherwise(bucket)
                    )
                groups = [f"p_{key}" for key in charge.group_keys]
                parts.append(
                    events.filter(pl.col("code") == charge.metric_code)
                    .with_columns(bucket=bucket.cast(pl.Int32))
                    .group_by("sub", "bucket", *groups)
                    .agg(units=units, n=pl.len())
                    .with_columns(
                        ci=pl.lit(charge.index, dtype=pl.Int32),
                        units=pl.col("units").cast(pl.String),
                    )
                )
            return pl.concat(parts, how="diagonal")

        return aggregate

    def rate(self, frame: pl.DataFrame, subs: list[str]) -> Result:
        """Aggregate the DataFrame and price every listed subscription."""
        result = self._aggregate(frame.lazy()).collect(engine="in-memory")
        charges = self.charges
        rows = (
            AggRow(
                row["sub"],
                row["ci"],
                row["bucket"],
                tuple(row[f"p_{key}"] for key in charges[row["ci"]].group_keys),
                row["units"] or "0",
                row["n"],
            )
            for row in result.iter_rows(named=True)
        )
        return charge_totals(charges, rows, subs)
