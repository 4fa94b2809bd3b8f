"""The model is retrained when, and only when, a training input changes."""

from scripts import train_if_needed


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
