"""Batch inference's pure steps, shared by every dataset: which samples to score, what to log.

The notebooks make the feature-store calls (read the samples, get or create the predictions
feature group, insert); these functions decide what is read and what is written, and are tested
on small DataFrames.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from serverless_ml.datasets import Dataset
from serverless_ml.times import shown

#: How many days back batch inference looks for samples it has not scored yet.
LOOKBACK_DAYS = 30


def inference_window(
    run_date: date, days: int = LOOKBACK_DAYS, start: date | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the event times batch inference reads: the `days` days up to `run_date`.

    Reading a window, never the whole feature group, keeps a daily run as cheap in year three as
    on day one; backfilled rows are older than any window, so they are never scored. A `start`
    further back (a simulated month, say) widens the window to include it.
    """
    end = pd.Timestamp(run_date + timedelta(days=1))
    first = end - pd.Timedelta(days=days + 1)
    return (min(first, pd.Timestamp(start)) if start is not None else first), end


def logged_predictions(predictions_fg: Any, **read_kwargs: Any) -> pd.DataFrame:
    """Every logged prediction (or those in a time range); empty before the first is logged."""
    if not predictions_fg.column_names:  # nothing inserted yet, on either backend
        return pd.DataFrame()
    return predictions_fg.read(**read_kwargs)


def unscored(samples: pd.DataFrame, scored: pd.DataFrame, key: str) -> pd.DataFrame:
    """The samples whose `key` has no logged prediction yet, by key."""
    if not scored.empty:
        samples = samples[~samples[key].isin(scored[key])]
    return samples.sort_values(key).reset_index(drop=True)


def prediction_rows(
    pipeline: Any, model_version: int, samples: pd.DataFrame, dataset: Dataset, run_date: date
) -> pd.DataFrame:
    """One row per sample to log in the predictions feature group: prediction beside the true label."""
    predicted = pipeline.predict(samples[list(pipeline.feature_names_in_)]) if len(samples) else []
    return pd.DataFrame(
        {
            dataset.primary_key: samples[dataset.primary_key].astype("int64"),
            dataset.event_time: samples[dataset.event_time],
            "predicted": pd.Series(predicted, index=samples.index, dtype=samples[dataset.label].dtype),
            "label": samples[dataset.label],
            "model_version": int(model_version),
            "predicted_at": pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)),
            "run_date": pd.Timestamp(run_date),
        }
    )


def predict_batch(pipeline: Any, batch: pd.DataFrame) -> pd.DataFrame:
    """`batch` (from `get_batch_data`) with the pipeline's prediction for each row."""
    predicted = pipeline.predict(batch[list(pipeline.feature_names_in_)]) if len(batch) else []
    return batch.assign(predicted=predicted)


def nothing_new(samples: pd.DataFrame, scored: pd.DataFrame, dataset: Dataset, run_date: date) -> str:
    """What batch inference says when every sample of its window has a prediction already: when the newest
    was scored and by which model version, or, with no daily sample at all, which step adds one."""
    noun = dataset.sample_noun
    if samples.empty:
        return (
            f"Nothing to score up to {run_date}: there is no daily {noun} yet. "
            f"Run 1_feature_pipeline.ipynb to add the day's {noun}."
        )
    newest = samples.sort_values(dataset.event_time).iloc[-1]
    row = scored[scored[dataset.primary_key] == newest[dataset.primary_key]].iloc[-1]
    when = shown(pd.Timestamp(row["predicted_at"]).to_pydatetime())
    return (
        f"Nothing new to score up to {run_date}: the newest {noun} ({dataset.primary_key} "
        f"{newest[dataset.primary_key]}, of {pd.Timestamp(newest[dataset.event_time]):%Y-%m-%d}) was already scored "
        f"at {when} by model version {row['model_version']}. "
        f"Tomorrow's run of 1_feature_pipeline.ipynb adds the next {noun} (or set its RUN_DATE)."
    )
