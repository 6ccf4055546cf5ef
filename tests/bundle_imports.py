"""Run by a bundle's own environment: import each Space bundle's app.py as the Space does, print what was imported.

`python bundle_imports.py FOLDER...` builds each app (run as "space": `__main__` would launch it) and prints, as
JSON, the distributions the imported modules come from. Imports fail here as they would in the Space.
"""

from __future__ import annotations

import json
import runpy
import sys
from importlib.metadata import packages_distributions
from pathlib import Path


def main(folders: list[Path]) -> None:
    for folder in folders:
        for name in [m for m in sys.modules if m == "serverless_ml" or m.startswith("serverless_ml.")]:
            del sys.modules[name]  # each bundle imports its own copy, with its own model and images
        sys.path.insert(0, str(folder))
        runpy.run_path(str(folder / "app.py"), run_name="space")
        sys.path.remove(str(folder))
    owners = packages_distributions()
    top = {name.partition(".")[0] for name in sys.modules} - set(sys.stdlib_module_names)
    print(json.dumps(sorted({dist for name in top for dist in owners.get(name, [])})))


if __name__ == "__main__":
    main([Path(arg) for arg in sys.argv[1:]])
