"""The local feature store against raw DuckDB doing the same work, in the same run.

Run: `python benchmarks/store.py` (or `make bench`). Figures go to benchmarks/README.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, table

ROWS = 1_000_000
REPEATS = 3


def frame(n: int, offset: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": np.arange(offset, offset + n, dtype="int64"),
            "sepal_length": rng.normal(5.8, 0.8, n),
            "sepal_width": rng.normal(3.0, 0.4, n),
            "petal_length": rng.normal(3.7, 1.7, n),
            "petal_width": rng.normal(1.2, 0.7, n),
            "variety": rng.choice(["Setosa", "Versicolor", "Virginica"], n).astype(object),
            "event_time": pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(n), unit="s"),
        }
    )


DDL = (
    "CREATE TABLE t (id BIGINT, sepal_length DOUBLE, sepal_width DOUBLE, petal_length DOUBLE, "
    "petal_width DOUBLE, variety VARCHAR, event_time TIMESTAMP)"
)


def main() -> None:
    import serverless_ml

    data = frame(ROWS)
    one = frame(1, offset=123_456).assign(sepal_length=9.9)
    work = Path(tempfile.mkdtemp(prefix="bench_store_"))
    state: dict = {}

    # --- insert 1M rows into a new feature group / a new table
    def fresh_store() -> None:
        state["n"] = state.get("n", 0) + 1
        os.environ["SML_HOME"] = str(work / f"home{state['n']}")
        state["fg"] = (
            serverless_ml.login()
            .get_feature_store()
            .get_or_create_feature_group("bench", version=1, primary_key=["id"], event_time="event_time")
        )

    def fresh_raw() -> None:
        state["n"] = state.get("n", 0) + 1
        state["path"] = str(work / f"raw{state['n']}.duckdb")

    def raw_insert() -> None:
        con = duckdb.connect(state["path"])
        con.execute(DDL)
        con.register("df", data)
        con.execute("INSERT INTO t SELECT * FROM df")
        con.close()

    ours_insert = best_of(REPEATS, lambda: state["fg"].insert(data, wait=True), fresh_store)
    raw_insert_s = best_of(REPEATS, raw_insert, fresh_raw)

    # --- upsert 1 row into the 1M-row group / table (delete the old version, insert the new)
    fg, raw_path = state["fg"], state["path"]

    def raw_upsert() -> None:
        con = duckdb.connect(raw_path)
        con.execute("BEGIN")
        con.register("one", one)
        con.execute("DELETE FROM t USING one WHERE t.id = one.id")
        con.execute("INSERT INTO t SELECT * FROM one")
        con.execute("COMMIT")
        con.close()

    ours_upsert = best_of(20, lambda: fg.insert(one))
    raw_upsert_s = best_of(20, raw_upsert)

    # --- read all 1M rows
    def raw_read() -> pd.DataFrame:
        con = duckdb.connect(raw_path)
        out = con.execute("SELECT * FROM t").df()
        con.close()
        return out

    ours_read = best_of(REPEATS, fg.read)
    raw_read_s = best_of(REPEATS, raw_read)

    rows = [
        ("insert 1,000,000 rows (rows/s)", f"{ROWS / ours_insert:,.0f}", f"{ROWS / raw_insert_s:,.0f}",
         f"{ours_insert / raw_insert_s:.2f}x", "<= 1.5x"),
        ("upsert 1 row into 1,000,000 (ms)", f"{ours_upsert * 1000:.1f}", f"{raw_upsert_s * 1000:.1f}",
         f"{ours_upsert / raw_upsert_s:.2f}x", "< 20 ms"),
        ("read 1,000,000 rows (s)", f"{ours_read:.3f}", f"{raw_read_s:.3f}", f"{ours_read / raw_read_s:.2f}x",
         "<= 1.5x"),
    ]  # fmt: skip
    print(f"duckdb {duckdb.__version__}, best of {REPEATS} (upserts: best of 20), time ratios ours/raw")
    print(table(rows, ("operation", "feature store", "raw DuckDB", "ratio", "target")))


if __name__ == "__main__":
    main()
