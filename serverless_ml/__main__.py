"""`python -m serverless_ml`."""

from serverless_ml.cli import run

run()
