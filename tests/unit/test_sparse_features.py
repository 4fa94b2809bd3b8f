"""The quick feature joins build exactly the matrices scipy and Rasa build."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy import sparse

from bot.runtime import sparse_features


def random_coo(rows: int, cols: int, density: float, dtype: str, seed: int) -> sparse.coo_matrix:
    rng = np.random.default_rng(seed)
    matrix = sparse.random(rows, cols, density=density, format="coo", random_state=rng)
    return (matrix * 10).astype(dtype)


def assert_same_coo(ours: sparse.coo_matrix, scipys: sparse.coo_matrix) -> None:
    assert ours.format == scipys.format == "coo"
    assert ours.shape == scipys.shape and ours.dtype == scipys.dtype
    for name in ("row", "col", "data"):
        assert getattr(ours, name).dtype == getattr(scipys, name).dtype, name
        np.testing.assert_array_equal(getattr(ours, name), getattr(scipys, name))


@pytest.mark.parametrize("rows", [1, 7])
@pytest.mark.parametrize("dtypes", [("float64", "float64"), ("int64", "float32"), ("int32",)])
def test_hstack_coo_builds_what_scipy_builds(rows, dtypes):
    shapes = [(rows, 300), (rows, 0), (rows, 5000), (rows, 12)]
    blocks = [
        random_coo(*shape, density=0.05, dtype=dtypes[index % len(dtypes)], seed=index)
        for index, shape in enumerate(shapes)
    ]
    blocks.append(sparse.coo_matrix((rows, 40), dtype=dtypes[0]))  # no entries at all
    assert_same_coo(sparse_features.hstack_coo(blocks), sparse.hstack(blocks))


def test_blocks_of_different_heights_are_refused_as_scipy_refuses_them():
    with pytest.raises(ValueError):
        sparse_features.hstack_coo(
            [random_coo(1, 5, 0.5, "float64", 1), random_coo(2, 5, 0.5, "float64", 2)]
        )


def message(seed: int) -> Message:
    """A message with sparse features from four featurizers, sequence and sentence."""
    msg = Message(data={TEXT: f"my knee hurts {seed}"})
    for index, width in enumerate((3, 400, 2500, 9000)):
        origin = f"featurizer_{index}"
        dtype = "int64" if index == 2 else "float64"
        for kind, rows in ((FEATURE_TYPE_SEQUENCE, 4), (FEATURE_TYPE_SENTENCE, 1)):
            features = random_coo(rows, width, 0.01, dtype, seed * 10 + index)
            msg.add_features(Features(features, kind, TEXT, origin))
    return msg


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_messages_combined_features_are_unchanged(seed):
    """Each featurizer's features joined onto the next, as Rasa's featurizers do."""

    def combined(combine) -> list:
        joined = []
        for kind in (FEATURE_TYPE_SEQUENCE, FEATURE_TYPE_SENTENCE):
            parts = [f for f in message(seed).features if f.type == kind]
            first = Features(parts[0].features.copy(), kind, TEXT, parts[0].origin)
            for part in parts[1:]:
                combine(first, part)
            joined.append(first.features)
        return joined

    ours = combined(sparse_features.combine_sparse_features)
    rasas = combined(sparse_features._ORIGINAL_COMBINE)
    for mine, theirs in zip(ours, rasas, strict=True):
        assert_same_coo(mine.tocoo(), theirs.tocoo())


def test_installing_replaces_the_join(monkeypatch):
    monkeypatch.setattr(Features, "_combine_sparse_features", Features._combine_sparse_features)
    sparse_features.install()
    assert Features._combine_sparse_features is sparse_features.combine_sparse_features
