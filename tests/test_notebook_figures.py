"""The figure checks of the notebook tests find drawing cells by what they call (`tests/e2e.py`).

The lessons themselves are checked on the labs' executed notebooks (`test_iris_notebooks.py`,
`test_titanic_notebooks.py`): every drawing cell shows an image, and no cell leaves an error.
"""

from __future__ import annotations

import nbformat
import pytest

from tests.e2e import drawing_cells


@pytest.mark.parametrize(
    ("source", "draws"),
    [
        ("sns.heatmap(frame, annot=True);", True),
        ("fig, axes = plt.subplots(1, 2)", True),
        ('confusion_matrix_figure(y, p, SPEC, title="Held-out")', True),
        ("monitoring.show_images(images)", True),
        ("images = monitoring.write_monitoring_images(history, SPEC, folder)", False),
        ("result.metrics", False),
        ("%matplotlib inline", False),
    ],
)
def test_drawing_cells_are_found_by_what_they_call(source, draws):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    assert bool(drawing_cells(notebook)) is draws
