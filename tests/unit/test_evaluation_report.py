"""`python -m scripts.evaluate --patients-only` rewrites only the patients' sections of the
evaluation report and keeps every section above them as the last `make eval` wrote it."""

from __future__ import annotations

from scripts import evaluate
from scripts.simulated_patient import Outcome
from scripts.varied_patients import Result


def test_patients_only_replaces_the_patient_sections_and_keeps_the_rest(tmp_path, monkeypatch):
    report = tmp_path / "evaluation.md"
    above = ["# Evaluation", "", "## Understanding", "kept NLU figures", ""]
    report.write_text("\n".join([*above, evaluate.PATIENTS_HEADING, "", "old figures 25", ""]))
    outcomes = [Outcome("typical", True, 21, "MIS-TEST-0001")]
    varied = [Result("patient 1", True, 19, [], {}), Result("patient 2", False, 40, [], {})]
    monkeypatch.setattr(evaluate, "REPORT", report)
    monkeypatch.setattr(evaluate, "run_patients", lambda: (outcomes, varied))

    evaluate.patients_only()

    text = report.read_text()
    assert text.startswith("\n".join(above))
    assert "old figures 25" not in text
    assert text.count(evaluate.PATIENTS_HEADING) == 1
    assert "median patient messages per referral 21" in text
    assert "--patients-only" in text  # says which sections are new
    assert "| completed | 1/2 |" in text
