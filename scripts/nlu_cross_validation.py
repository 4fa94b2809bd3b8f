"""`rasa test nlu --cross-validation` with repeatable folds.

`python -m scripts.nlu_cross_validation [--seed N] <rasa test nlu options>`.

Rasa splits the examples with scikit-learn's StratifiedKFold(shuffle=True) and no seed, so
two runs of the same code differed by about 0.01 in intent macro F1. Its shuffle draws from
NumPy's global generator, which this seeds first (2026, the project's seed everywhere).
"""

from __future__ import annotations

import argparse
import random
import sys

import numpy as np

FOLD_SEED = 2026


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=FOLD_SEED)
    args, rasa_args = parser.parse_known_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "test", "nlu", "--cross-validation", *rasa_args]
    rasa_main()


if __name__ == "__main__":
    main()
