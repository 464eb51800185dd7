"""The Spark recipe of docs/scale-out.md on a local Spark session (opt-in: ``-m spark``)."""

from __future__ import annotations

import sys

import pytest

from tests.test_docs import DOCS, _blocks, run_page

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support:FutureWarning"),
]


def test_the_spark_recipe_gives_the_digest_of_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyspark")
    # Spark's Python workers run this interpreter, with its packages.
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    page = DOCS / "scale-out.md"
    namespace: dict[str, object] = {}
    # The page's python blocks build the job, the events folder and rate_batches.
    run_page(page, namespace)
    [(_, recipe)] = _blocks(page, "pyspark")
    try:
        exec(compile(recipe, f"{page.name}:pyspark", "exec"), namespace)  # asserts the digest
    finally:
        session = namespace.get("spark")
        if session is not None:
            session.stop()  # type: ignore[attr-defined]
    assert len(namespace["digests"]) == 3  # type: ignore[arg-type]
