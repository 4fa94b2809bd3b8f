"""The NumPy sentence encoder gives sentence-transformers' embeddings, from checked files only.

tests/minilm_reference.json holds embeddings that sentence-transformers itself computed from
the same model files (its "made_by" fields say which versions and calls), in a separate environment
with PyTorch, which this project does not install.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from bot.nlu.sentence_encoder import ModelFilesError, SentenceEncoder, model_dir, shared_encoder
from scripts.layout import ROOT

REFERENCE = json.loads((ROOT / "tests" / "minilm_reference.json").read_text())


def test_embeddings_match_sentence_transformers_one_by_one_and_batched():
    encoder = SentenceEncoder()
    texts, expected = REFERENCE["texts"], np.array(REFERENCE["embeddings"], np.float32)
    batched = encoder.encode(texts)
    np.testing.assert_allclose(batched, expected, atol=2e-6)
    fresh = SentenceEncoder()
    one_by_one = np.vstack([fresh.encode([text]) for text in reversed(texts)])[::-1]
    np.testing.assert_allclose(one_by_one, expected, atol=2e-6)


def test_the_middle_layer_features_match_transformers_hidden_states():
    middle = shared_encoder().features(REFERENCE["texts"])[:, 384:]
    np.testing.assert_allclose(middle, np.array(REFERENCE["middle_layer_4"]), atol=2e-6)


def test_same_meaning_lies_closer_than_different_meaning():
    goodbye, bye, knee = shared_encoder().encode(["goodbye", "bye for now", "my knee hurts"])
    assert goodbye @ bye > goodbye @ knee + 0.3


def test_long_and_odd_input_gives_unit_vectors_in_the_callers_order():
    texts = ["x" * 5000, "word " * 400, "?", "yes", "x" * 5000]
    rows = shared_encoder().encode(texts)
    assert rows.shape == (5, 384) and rows.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(rows[0], rows[4])
    assert shared_encoder().encode([]).shape == (0, 384)


def test_a_changed_weights_file_is_refused(tmp_path):
    for name in ("tokenizer.json", "model.safetensors"):
        shutil.copy(model_dir() / name, tmp_path / name)
    with (tmp_path / "model.safetensors").open("r+b") as weights:
        weights.seek(-4, 2)
        weights.write(b"\x00\x00\x80\x3f")
    with pytest.raises(ModelFilesError, match="not the pinned"):
        SentenceEncoder(tmp_path)
    (tmp_path / "tokenizer.json").unlink()
    with pytest.raises(ModelFilesError, match="missing"):
        SentenceEncoder(tmp_path)


def test_one_message_read_by_two_components_in_a_turn_is_encoded_once(monkeypatch):
    from bot.nlu import sentence_encoder

    monkeypatch.setattr(sentence_encoder, "CACHE_SIZE", 0)
    encoder = sentence_encoder.shared_encoder()
    calls = []
    real = encoder._encode_batch
    monkeypatch.setattr(encoder, "_encode_batch", lambda texts: calls.append(texts) or real(texts))
    first = encoder.features(["my knee hurts, once"])
    second = encoder.features(["my knee hurts, once"])
    assert calls == [["my knee hurts, once"]] and (first == second).all()
    encoder.features(["another message"])
    encoder.features(["my knee hurts, once"])
    assert len(calls) == 3  # only the last call's texts are kept when the cache is off
