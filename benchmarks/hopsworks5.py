"""Hopsworks 5 on the local store against its floors, measured in the same run.

- a point-in-time join of 1M x 1M rows through `Query.read()` vs DuckDB's own `ASOF LEFT JOIN`;
- a filter over 1M rows through `fg.filter(...).read()` vs the same `WHERE` in DuckDB;
- `get_feature_vector` for one key (p50) and `get_feature_vectors` for 1,000 keys in a warm process,
  beside a dict lookup (the floor of any in-process snapshot), while another process writes the store;
- `training_data` of 100k rows with a label encoder and two scalers, vs the same without them plus the SDK's
  own statistics and transformation code on the same frame.

Run: `python benchmarks/hopsworks5.py` (or `make bench`). Figures go to benchmarks/README.md.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, table

ROWS = 1_000_000
REPEATS = 3


def _daily(n: int, hours: int, seed: int) -> pd.DataFrame:
    """`n` rows of 1,000 cities, one per city and hour (unique keys), in random order."""
    order = np.random.default_rng(seed).permutation(n)
    return pd.DataFrame(
        {
            "city": (order % 1000).astype("int64"),
            "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(order // 1000 * 24 + hours, unit="h"),
            "value": np.random.default_rng(seed + 1).normal(size=n),
        }
    )


def point_in_time(fs, work: Path) -> tuple:
    left = fs.get_or_create_feature_group("air", version=1, primary_key=["city"], event_time="date")
    right = fs.get_or_create_feature_group("weather", version=1, primary_key=["city"], event_time="date")
    left_df, right_df = _daily(ROWS, 0, 1), _daily(ROWS, 12, 2).rename(columns={"value": "temp"})
    left.insert(left_df)
    right.insert(right_df)
    query = left.select_all().join(right.select(["temp"]), on=["city"])
    ours = best_of(REPEATS, query.read)
    raw_path = str(work / "raw_pit.duckdb")
    con = duckdb.connect(raw_path)
    con.execute("CREATE TABLE a AS SELECT * FROM left_df")
    con.execute("CREATE TABLE b AS SELECT * FROM right_df")
    con.close()

    def raw() -> None:
        con = duckdb.connect(raw_path)
        con.execute(
            "SELECT a.city, a.date, a.value, b.temp FROM a ASOF LEFT JOIN b ON a.city = b.city AND a.date >= b.date"
        ).df()
        con.close()

    floor = best_of(REPEATS, raw)
    assert len(query.read()) == ROWS
    return ("point-in-time join 1M x 1M, `Query.read()` (s)", f"{ours:.3f}", f"{floor:.3f}", ours / floor, "<= 1.5x")


def filtered(fs, work: Path) -> tuple:
    fg = fs.get_feature_group("air", version=1)
    ours = best_of(REPEATS, lambda: fg.filter((fg.value > 0.5) & (fg.city < 500)).read())
    raw_path = str(work / "raw_pit.duckdb")

    def raw() -> None:
        con = duckdb.connect(raw_path)
        con.execute("SELECT * FROM a WHERE value > 0.5 AND city < 500").df()
        con.close()

    floor = best_of(REPEATS, raw)
    return ("filter over 1M rows, `fg.filter(...).read()` (s)", f"{ours:.3f}", f"{floor:.3f}", ours / floor, "<= 1.3x")


def _row(name: str, ours: float, floor: float, target: str, scale: float = 1.0, digits: int = 3) -> tuple:
    return name, f"{ours * scale:.{digits}f}", f"{floor * scale:.{digits}f}", ours / floor, target


WRITER = """
import os, sys, time, pandas as pd, serverless_ml
fg = serverless_ml.login().get_feature_store().get_feature_group("people", version=1)
started, n, waits = time.monotonic(), 0, []
while time.monotonic() - started < float(sys.argv[1]):
    t = time.perf_counter()
    fg.insert(pd.DataFrame({"pid": [n % 1000], "sex": ["male"], "age": [float(n)], "fare": [1.0]}))
    waits.append(time.perf_counter() - t)
    n += 1
    time.sleep(0.05)
print(n, max(waits))
"""


def vectors(fs) -> list[tuple]:
    rng = np.random.default_rng(3)
    people = fs.get_or_create_feature_group("people", version=1, primary_key=["pid"], online_enabled=True)
    people.insert(
        pd.DataFrame(
            {
                "pid": np.arange(100_000),
                "sex": rng.choice(["male", "female"], 100_000).astype(object),
                "age": rng.uniform(1, 80, 100_000),
                "fare": rng.uniform(5, 500, 100_000),
            }
        )
    )
    fv = fs.create_feature_view("people", version=1, query=people.select_all())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fv.init_serving()
    fv.get_feature_vector({"pid": 1})  # the snapshot, read once
    keys = [{"pid": int(k)} for k in rng.integers(0, 1000, 1000)]
    snapshot = {k: (k, "male", 1.0, 2.0) for k in range(100_000)}

    def p50(work, n: int = 2000) -> float:
        times = []
        for i in range(n):
            t = time.perf_counter()
            work(i)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    one_floor = p50(lambda i: list(snapshot[keys[i % 1000]["pid"]]))
    one_quiet = p50(lambda i: fv.get_feature_vector(keys[i % 1000]))
    batch_floor = best_of(20, lambda: [list(snapshot[k["pid"]]) for k in keys])
    batch = best_of(20, lambda: fv.get_feature_vectors(keys))
    # a daily-run-like writer in another process, inserting every 50 ms: the app reloads its snapshot
    # after each write and must never hold the store long enough to lock the writer out
    writer = subprocess.Popen([sys.executable, "-c", WRITER, "6"], stdout=subprocess.PIPE, text=True, env=os.environ)
    time.sleep(1.0)
    busy = []
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        t = time.perf_counter()
        fv.get_feature_vector(keys[len(busy) % 1000])
        busy.append(time.perf_counter() - t)
    writes, longest_write = writer.communicate(timeout=60)[0].split()
    busy_p50 = statistics.median(busy)
    locked = f"writer never locked out: its longest insert {float(longest_write) * 1e3:.0f} ms"
    return [
        _row("`get_feature_vector`, 1 key, p50 (ms)", one_quiet, one_floor, "<= 0.15 ms", 1e3, 4),
        _row("`get_feature_vectors`, 1,000 keys (ms)", batch, batch_floor, "<= 30 ms", 1e3, 2),
        _row(
            f"the same, 1 key, p50 while another process writes ({writes} inserts) (ms)",
            busy_p50,
            one_floor,
            locked,
            1e3,
            4,
        ),
    ]


def transformed(fs) -> tuple:
    """`training_data` with three built-in transformations vs its floor: the same view without them plus the
    SDK's own work on the same frame (`StatisticsEngine` statistics, then the Python engine's UDFs; the SDK's
    `label_encoder` maps values in a Python loop), so the ratio is what the local store adds."""
    from hsfs.builtin_transformations import label_encoder, standard_scaler

    from serverless_ml.store import transformations

    people = fs.get_feature_group("people", version=1)
    plain = fs.create_feature_view("plain", version=1, query=people.select(["sex", "age", "fare"]))
    functions = [label_encoder("sex"), standard_scaler("age"), standard_scaler("fare")]
    encoded = fs.create_feature_view(
        "encoded", version=1, query=people.select(["sex", "age", "fare"]), transformation_functions=functions
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = plain.training_data()[0]
        ours = best_of(REPEATS, encoded.training_data)
        plain_time = best_of(REPEATS, plain.training_data)
    sdk = fs.get_feature_view("encoded", version=1).transformation_functions

    def sdk_work() -> None:
        transformations.fit(sdk, frame)
        transformations.apply(sdk, frame)

    floor = plain_time + best_of(REPEATS, sdk_work)
    return _row("`training_data` 100k rows, 3 transformations (s)", ours, floor, "<= 1.2x")


def main() -> None:
    import serverless_ml

    work = Path(tempfile.mkdtemp(prefix="bench_hw5_"))
    os.environ["SML_HOME"] = str(work / "home")
    os.environ["SML_BACKEND"] = "local"
    fs = serverless_ml.login().get_feature_store()
    rows = [point_in_time(fs, work), filtered(fs, work), *vectors(fs), transformed(fs)]
    rows = [(name, ours, floor, f"{ratio:.2f}x", target) for name, ours, floor, ratio, target in rows]
    print(table(rows, ("operation", "local store", "floor", "ratio", "target")))
    print(
        "\nFloors: DuckDB's own ASOF LEFT JOIN / WHERE on the same tables (open, query to pandas, close); "
        "a dict lookup in the same process; training_data without transformations plus the SDK's own statistics "
        "and UDFs on the same frame."
    )


if __name__ == "__main__":
    main()
