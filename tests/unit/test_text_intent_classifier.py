"""The intent classifier: its fast path gives the pipeline's probabilities; meaning helps."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.sentence_encoder import shared_encoder
from bot.nlu.text_intent_classifier import TextIntentClassifier
from scripts.layout import ROOT

DATA = ROOT / "bot" / "data"
ODD_TEXTS = ["", "   ", "?", "Zoë's knée hürts 😬", "x" * 1000, "st4 6qg 07700 900123", "/affirm"]


# Every test here reads the classifier trained on every NLU example (about 45 s): left out of
# the quick suite, run by `make test`.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained() -> tuple[TextIntentClassifier, list[str]]:
    data = TrainingData().merge(*[load_data(str(path)) for path in DATA.glob("nlu*.yml")])
    texts = [m.get(TEXT) for m in data.intent_examples]
    config = TextIntentClassifier.get_default_config()
    component = TextIntentClassifier(config, model_storage=None, resource=None)
    component.fit(texts, [m.get(INTENT) for m in data.intent_examples])
    return component, texts


def test_the_fast_path_matches_the_pipeline_on_every_example_and_odd_input(trained):
    component, texts = trained
    every = texts + ODD_TEXTS
    cascade = component._predictor
    for pipeline, lean in (
        (component._model, cascade.full),
        (component._words_model, cascade.words),
    ):
        expected = pipeline.predict_proba(every)
        got = lean.predict_proba(every)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
        assert list(lean.classes_) == list(pipeline.classes_)


def test_the_encoder_reads_only_messages_the_words_leave_unsure(trained, monkeypatch):
    component, _ = trained
    cascade = component._predictor
    sure, unsure = "yes please", "i would like to terminate this chat"
    words = cascade.words.predict_proba([sure, unsure]).max(axis=1)
    assert words[0] >= cascade.sure > words[1]
    read: list[str] = []
    encoder = shared_encoder()
    real_features = encoder.features
    monkeypatch.setattr(
        encoder, "features", lambda texts: read.extend(texts) or real_features(texts)
    )
    got = cascade.predict_proba([sure, unsure])
    assert read == [unsure]
    np.testing.assert_array_equal(got[0], cascade.words.predict_proba([sure])[0])
    np.testing.assert_array_equal(got[1], cascade.full.predict_proba([unsure])[0])


def test_each_message_gets_its_intent_and_a_ranking_best_first(trained):
    component, _ = trained
    messages = [Message(data={TEXT: "yes please"}), Message(data={TEXT: "what is MIS?"})]
    component.process(messages)
    assert [m.get(INTENT)["name"] for m in messages] == ["affirm", "ask_what_is_mis"]
    for message in messages:
        ranking = message.get(INTENT_RANKING_KEY)
        confidences = [item["confidence"] for item in ranking]
        assert ranking[0] == message.get(INTENT) and confidences == sorted(
            confidences, reverse=True
        )
        assert 0 < sum(confidences) <= 1 + 1e-9


def test_meaning_reads_requests_in_words_no_example_uses(trained):
    component, texts = trained
    unseen = {
        "farewell": "goodbye",
        "i am employed as a plumber": "inform",
        "i would like to terminate this chat": "stop",
    }
    assert not set(unseen) & {text.lower() for text in texts}
    probabilities = component._predictor.predict_proba(list(unseen))
    read = [component._predictor.classes_[i] for i in probabilities.argmax(axis=1)]
    assert read == list(unseen.values())


def test_the_word_model_shares_the_full_models_vectorizers(trained):
    component, _ = trained
    full_parts = [part for _, part in component._model.steps[0][1].transformer_list]
    word_parts = [part for _, part in component._words_model.steps[0][1].transformer_list]
    assert word_parts and all(any(w is f for f in full_parts) for w in word_parts)


def test_an_answer_with_a_question_takes_the_intent_of_its_question_part(trained):
    """ "about 3 months, how long is the wait?" once read as an answer only: the duration was
    kept and the question never answered. The question part, read alone, decides the intent
    when the whole reads as an answer and the part is a question the assistant answers; a
    message of one part keeps the intent of the whole."""
    component, _ = trained
    said = {
        "about 3 months, how long is the wait?": "ask_waiting_times",
        "yes please": "affirm",
        "about 3 months": "inform",
    }
    messages = [Message(data={TEXT: text}) for text in said]
    component.process(messages)
    assert [m.get(INTENT)["name"] for m in messages] == list(said.values())
    for message in messages:
        assert message.get(INTENT_RANKING_KEY)[0] == message.get(INTENT)


@pytest.mark.parametrize(
    "text",
    [
        "yes I have, what does that mean?",  # a yes to a red-flag check question stays a yes
        "no I haven't, what does that mean?",
        "I want to stop. what happens to my answers?",
        "my date of birth is wrong, what happens next?",
    ],
)
def test_a_yes_no_stop_or_change_with_a_question_keeps_the_intent_of_the_whole(trained, text):
    component, _ = trained
    whole = component._predictor.predict_proba([text])[0]
    expected = str(component._predictor.classes_[whole.argmax()])
    assert expected not in component._config["answer_intents"]
    message = Message(data={TEXT: text})
    component.process([message])
    assert message.get(INTENT)["name"] == expected
