"""The model is retrained when, and only when, a training input changes."""

from pathlib import Path

import yaml

from bot.nlu.red_flag_classifier import RedFlagClassifier
from scripts import train_if_needed
from scripts.form_domain import merged_domain
from scripts.layout import TRAINING_INPUTS


def test_the_fingerprint_changes_with_content_and_data_but_not_with_other_files(
    tmp_path, monkeypatch
):
    (tmp_path / "content").mkdir()
    (tmp_path / "bot" / "data").mkdir(parents=True)
    (tmp_path / "config.yml").write_text("pipeline: []\n")
    (tmp_path / "content" / "responses.yml").write_text("responses: {}\n")
    (tmp_path / "bot" / "data" / "nlu.yml").write_text("nlu: []\n")
    (tmp_path / "README.md").write_text("docs\n")
    monkeypatch.setattr(train_if_needed, "ROOT", tmp_path)
    monkeypatch.setattr(train_if_needed, "TRAINING_INPUTS", ("config.yml", "content", "bot/data"))

    before = train_if_needed.inputs_fingerprint()
    (tmp_path / "README.md").write_text("other docs\n")
    (tmp_path / "content" / "README.md").write_text("what lives here\n")
    assert train_if_needed.inputs_fingerprint() == before

    (tmp_path / "content" / "responses.yml").write_text("responses: {utter_x: []}\n")
    after_content = train_if_needed.inputs_fingerprint()
    assert after_content != before

    (tmp_path / "bot" / "data" / "rules.yml").write_text("rules: []\n")
    assert train_if_needed.inputs_fingerprint() != after_content


def test_no_slot_mapping_can_take_a_red_flag_message_as_an_answer():
    domain = merged_domain()  # the form's questions included (built from the registry)
    assert "body_area" in domain["slots"]
    for name, slot in domain["slots"].items():
        for mapping in slot["mappings"]:
            if mapping["type"] in ("from_text", "from_entity", "from_intent"):
                assert "red_flag" in mapping.get("not_intent", []), name
                assert "red_flag_check" in mapping.get("not_intent", []), name
    pipeline = [c["name"] for c in yaml.safe_load(Path("config.yml").read_text())["pipeline"]]
    assert pipeline[-1].endswith("RedFlagClassifier")  # nothing after it can undo it


def test_the_red_flag_component_fingerprint_follows_the_catalogue(tmp_path):
    catalogue = tmp_path / "red_flags.yml"
    catalogue.write_text("version: 1\n")
    before = RedFlagClassifier.fingerprint_addon({"catalogue": str(catalogue)})
    catalogue.write_text("version: 2\n")
    assert RedFlagClassifier.fingerprint_addon({"catalogue": str(catalogue)}) != before
    assert {"bot/red_flag_detector.py", "bot/red_flag_catalogue.py"} <= set(TRAINING_INPUTS)


def test_the_red_flag_component_fingerprint_follows_the_context_rules_and_the_corpus(
    tmp_path, monkeypatch
):
    from bot.nlu import red_flag_classifier

    context = tmp_path / "red_flag_context.yml"
    context.write_text("version: 1\n")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text('{"text": "x", "label": "none"}\n')
    monkeypatch.setattr(red_flag_classifier, "corpus_files", lambda: sorted(corpus.glob("*.jsonl")))
    before = RedFlagClassifier.fingerprint_addon({"context": str(context)})
    context.write_text("version: 2\n")
    after_context = RedFlagClassifier.fingerprint_addon({"context": str(context)})
    assert after_context != before
    (corpus / "a.jsonl").write_text('{"text": "y", "label": "none"}\n')
    assert RedFlagClassifier.fingerprint_addon({"context": str(context)}) != after_context
    assert "bot/red_flag_context.py" in TRAINING_INPUTS


def test_every_content_file_the_model_holds_is_a_training_input():
    """The domain's parts and the files the red-flag component reads at training time."""
    from bot.red_flag_catalogue import CATALOGUE_PATH
    from bot.red_flag_context import CONTEXT_PATH
    from scripts.layout import DOMAIN_PARTS, ROOT

    held = {CATALOGUE_PATH, CONTEXT_PATH, *DOMAIN_PARTS}
    assert {str(path.relative_to(ROOT)) for path in held} <= set(TRAINING_INPUTS)
