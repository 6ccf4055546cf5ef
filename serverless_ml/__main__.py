"""`python -m serverless_ml`."""

import sys

from serverless_ml.cli import main

sys.exit(main())
