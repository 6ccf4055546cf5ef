"""Draw the class images under assets/ (run: python assets/draw.py). Nothing is fetched."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Circle, Ellipse, Rectangle, Wedge

HERE = Path(__file__).resolve().parent
# petal length/width and colours loosely follow each variety's real proportions
IRIS = {
    "setosa": {"petal": (0.30, 0.10), "sepal": (0.42, 0.26), "colour": "#8e7cc3", "sepal_colour": "#b4a7d6"},
    "versicolor": {"petal": (0.55, 0.20), "sepal": (0.48, 0.22), "colour": "#6f4fb0", "sepal_colour": "#9f8bd0"},
    "virginica": {"petal": (0.70, 0.28), "sepal": (0.52, 0.24), "colour": "#3d2a7a", "sepal_colour": "#7461b4"},
}


def _canvas(label: str):
    figure, axes = plt.subplots(figsize=(2.4, 2.7), dpi=100)
    axes.set_xlim(-1, 1)
    axes.set_ylim(-1.25, 1)
    axes.set_aspect("equal")
    axes.axis("off")
    axes.text(0, -1.15, label, ha="center", va="center", fontsize=14, weight="bold")
    return figure, axes


def draw_iris(name: str, look: dict) -> None:
    figure, axes = _canvas(f"Iris {name}")
    for angle in (90, 210, 330):  # three sepals hang outwards, three petals stand between them
        length, width = look["sepal"]
        axes.add_patch(Ellipse((0, 0), 2 * length * 1.4, width * 1.4, angle=angle, color=look["sepal_colour"]))
    for angle in (30, 150, 270):
        length, width = look["petal"]
        axes.add_patch(Ellipse((0, 0), 2 * length * 1.2, width * 1.6, angle=angle, color=look["colour"]))
    axes.add_patch(Circle((0, 0), 0.09, color="#f1c232"))
    figure.savefig(HERE / f"iris_{name}.png", facecolor="white")
    plt.close(figure)


def draw_survived() -> None:
    figure, axes = _canvas("Survived")
    axes.add_patch(Wedge((0, 0.05), 0.75, 0, 360, width=0.3, color="#e06666"))  # a lifebuoy
    for start in (30, 120, 210, 300):
        axes.add_patch(Wedge((0, 0.05), 0.75, start, start + 30, width=0.3, color="#f3f3f3"))
    figure.savefig(HERE / "titanic_survived.png", facecolor="white")
    plt.close(figure)


def draw_died() -> None:
    figure, axes = _canvas("Died")
    axes.add_patch(Rectangle((-0.9, -0.95), 1.8, 0.35, color="#3d85c6"))
    axes.add_patch(Rectangle((-0.08, -0.65), 0.16, 1.45, color="#434343"))
    axes.add_patch(Rectangle((-0.45, 0.25), 0.9, 0.16, color="#434343"))
    figure.savefig(HERE / "titanic_died.png", facecolor="white")
    plt.close(figure)


if __name__ == "__main__":
    for variety, look in IRIS.items():
        draw_iris(variety, look)
    draw_survived()
    draw_died()
    print("drew", ", ".join(sorted(p.name for p in HERE.glob("*.png"))))
