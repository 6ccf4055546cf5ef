"""A small Titanic-shaped CSV for machines without the real one (Kaggle's train.csv layout)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SURNAMES = ["Smith", "Brown", "Olsen", "Kelly", "Rossi", "Meyer", "Novak", "Dubois", "Svensson", "Murphy"]


def write_fake_titanic(path: Path, n: int = 300, seed: int = 0) -> Path:
    """Write `n` passengers whose survival depends on sex, class and age as on the real ship."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["male", "female"], n, p=[0.65, 0.35])
    pclass = rng.choice([1, 2, 3], n, p=[0.25, 0.2, 0.55])
    age = np.round(rng.uniform(1, 70, n))
    chance = np.where(sex == "female", 0.75, 0.18) + (2 - pclass) * 0.12 + np.where(age < 12, 0.3, 0.0)
    survived = (rng.random(n) < np.clip(chance, 0.02, 0.97)).astype(int)
    titles = np.where(sex == "male", np.where(age < 12, "Master", "Mr"), np.where(age < 18, "Miss", "Mrs"))
    names = [f"{rng.choice(SURNAMES)}, {t}. Test Person" for t in titles]
    frame = pd.DataFrame(
        {
            "PassengerId": np.arange(1, n + 1),
            "Survived": survived,
            "Pclass": pclass,
            "Name": names,
            "Sex": sex,
            "Age": np.where(rng.random(n) < 0.2, np.nan, age),
            "SibSp": rng.choice([0, 0, 0, 1, 2], n),
            "Parch": rng.choice([0, 0, 0, 1, 2], n),
            "Ticket": [f"T{i}" for i in range(n)],
            "Fare": np.round(np.exp(rng.normal(4.0 - 0.6 * pclass, 0.5)), 2),
            "Cabin": None,
            "Embarked": rng.choice(["S", "C", "Q"], n, p=[0.7, 0.2, 0.1]),
        }
    )
    frame.to_csv(path, index=False)
    return path
