"""Rasa's NLU feature joins without scipy's general block-matrix machinery.

Every message's sparse features (one matrix per featurizer: regex, lexical, word and
character counts) are joined side by side with `scipy.sparse.hstack`, several times per
message, and the intent classifier joins them once more and stacks the messages. scipy
does this through `bmat`, built for any grid of blocks: for matrices of one row and a few
dozen non-zeros it spent about 0.25 ms a join, and the joins were about a tenth of a Rasa
process's time in a referral (docs/profile.md).

`hstack_coo` builds exactly what `bmat` builds for a row of COO blocks (same dtype, same
index dtype, entries in the same order). Anything else goes to Rasa's and scipy's own code.
(A second patch, of the logistic-regression intent classifier's input, went with that
classifier: config.yml no longer uses it.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.shared.nlu.training_data.features import Features
from scipy import sparse
from scipy.sparse._sputils import get_index_dtype, upcast

_ORIGINAL_COMBINE = Features._combine_sparse_features


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


def install() -> None:
    Features._combine_sparse_features = combine_sparse_features
