"""Print intent and entity scores from `rasa test nlu` reports, and check the targets.

python -m scripts.nlu_scores var/results/nlu
"""

import json
import sys
from pathlib import Path

INTENT_MACRO_F1_TARGET = 0.95
ENTITY_MACRO_F1_TARGET = 0.90


def macro_f1(report: dict) -> float:
    return report["macro avg"]["f1-score"]


def main(results: Path) -> int:
    intents = json.loads((results / "intent_report.json").read_text())
    entities = json.loads((results / "CRFEntityExtractor_report.json").read_text())
    intent_f1, entity_f1 = macro_f1(intents), macro_f1(entities)
    print(f"intent macro F1 {intent_f1:.3f} (target {INTENT_MACRO_F1_TARGET})")
    print(f"entity macro F1 {entity_f1:.3f} (target {ENTITY_MACRO_F1_TARGET})")
    for name, scores in sorted(entities.items()):
        if isinstance(scores, dict) and "support" in scores and "avg" not in name:
            print(f"  entity {name:12s} F1 {scores['f1-score']:.3f} (n={scores['support']})")
    weakest = sorted(
        (scores["f1-score"], name)
        for name, scores in intents.items()
        if isinstance(scores, dict) and "support" in scores and "avg" not in name
    )[:3]
    print("weakest intents: " + ", ".join(f"{name} {f1:.3f}" for f1, name in weakest))
    ok = intent_f1 >= INTENT_MACRO_F1_TARGET and entity_f1 >= ENTITY_MACRO_F1_TARGET
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
