"""Rasa's NLU feature joins without scipy's general block-matrix machinery.

Every message's sparse features (one matrix per featurizer: regex, lexical, word and
character counts) are joined side by side with `scipy.sparse.hstack`, several times per
message, and the intent classifier joins them once more and stacks the messages. scipy
does this through `bmat`, built for any grid of blocks: for matrices of one row and a few
dozen non-zeros it spent about 0.25 ms a join, and the joins were about a tenth of a Rasa
process's time in a referral (docs/profile.md).

`hstack_coo` builds exactly what `bmat` builds for a row of COO blocks (same dtype, same
index dtype, entries in the same order); `create_x` builds exactly the matrix that
`LogisticRegressionClassifier._create_X` builds when there are no dense features, as here.
Anything else goes to Rasa's and scipy's own code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.features import Features
from scipy import sparse
from scipy.sparse._sputils import get_index_dtype, upcast

_ORIGINAL_COMBINE = Features._combine_sparse_features
_ORIGINAL_CREATE_X = LogisticRegressionClassifier._create_X


def hstack_coo(blocks: list[Any]) -> Any:
    """`scipy.sparse.hstack(blocks)` for COO blocks of equal height, built directly."""
    if not blocks or not all(isinstance(block, sparse.coo_matrix) for block in blocks):
        return sparse.hstack(blocks)
    height = blocks[0].shape[0]
    if any(block.shape[0] != height for block in blocks):
        return sparse.hstack(blocks)  # scipy raises its own error
    width = sum(block.shape[1] for block in blocks)
    index_dtype = get_index_dtype(maxval=max(height, width))
    offsets = np.cumsum([0] + [block.shape[1] for block in blocks[:-1]])
    data = np.concatenate([block.data for block in blocks]).astype(
        upcast(*(block.dtype for block in blocks)), copy=False
    )
    row = np.concatenate([block.row for block in blocks]).astype(index_dtype, copy=False)
    col = np.concatenate(
        [
            block.col.astype(index_dtype) + offset
            for block, offset in zip(blocks, offsets, strict=True)
        ]
    ).astype(index_dtype, copy=False)
    return sparse.coo_matrix((data, (row, col)), shape=(height, width))


def combine_sparse_features(self: Features, additional_features: Features) -> None:
    """`Features._combine_sparse_features`, joining with `hstack_coo`."""
    if self.features.shape[0] != additional_features.features.shape[0]:
        return _ORIGINAL_COMBINE(self, additional_features)  # Rasa raises its own error
    self.features = hstack_coo([self.features, additional_features.features])
    self._cached_fingerprint = None


def create_x(self: LogisticRegressionClassifier, messages: list[Any]) -> sparse.csr_matrix:
    """`LogisticRegressionClassifier._create_X`: each message's sentence features as a row."""
    rows = []
    for message in messages:
        sparse_features = message.get_sparse_features(attribute=TEXT)[1]
        dense_features = message.get_dense_features(attribute=TEXT)[1]
        if sparse_features is None or dense_features is not None:
            return _ORIGINAL_CREATE_X(self, messages)
        features = sparse_features.features
        # Rasa joins the features to an empty float64 matrix, which makes the row float64
        dtype = upcast(features.dtype, np.float64)
        rows.append(sparse.csr_matrix(features, dtype=dtype))
    return rows[0] if len(rows) == 1 else sparse.vstack(rows, format="csr")


def install() -> None:
    Features._combine_sparse_features = combine_sparse_features
    LogisticRegressionClassifier._create_X = create_x
