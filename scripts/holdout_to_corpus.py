"""Move hold-out red-flag sets into the learned detector's corpus once their misses are used.

A hold-out set (tests/red_flag_holdout/*.jsonl: text, category, level, kind) is scored once;
its first score stays in docs/red_flag_first_scores.md. When its misses have guided a change it
is no longer a fair test, so it joins the training corpus (bot/data/red_flag_corpus/) with each
line's category and level mapped to a catalogue flag id. Where a category has several flags at
one level the words decide (weight or night words, chest, face or speech, breath); the level,
which is what the escalation depends on, is always kept.

Usage: python -m scripts.holdout_to_corpus NAME SET [SET ...]
(writes bot/data/red_flag_corpus/NAME.jsonl and removes the sets from tests/red_flag_holdout/)
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from scripts.layout import ROOT

CORPUS_DIR = ROOT / "bot" / "data" / "red_flag_corpus"
ONE_FLAG = {
    ("cauda_equina", "emergency"): "cauda_equina",
    ("cord_compression", "emergency"): "cord_compression_emergency",
    ("cord_compression", "urgent"): "cancer_history",
    ("spinal_infection", "urgent"): "spinal_infection",
    ("fracture", "urgent"): "fracture_trauma",
    ("fracture", "emergency"): "fracture_trauma_emergency",
    ("neuro_deficit", "urgent"): "neuro_deficit",
    ("neuro_deficit", "emergency"): "neuro_deficit_emergency",
    ("septic_arthritis", "urgent"): "septic_arthritis",
    ("giant_cell_arteritis", "urgent"): "giant_cell_arteritis",
    ("giant_cell_arteritis", "emergency"): "gca_vision",
    ("inflammatory_arthritis", "soon"): "inflammatory_arthritis",
    ("mental_health_crisis", "emergency"): "mental_health_crisis",
}
WEIGHT = re.compile(r"weight|stone|kg|lbs|pounds|clothes|trousers|jeans|belt|thin")
CANCER = re.compile(r"cancer|tumou?r|chemo|radio|oncolog")
NIGHT = re.compile(r"night|sleep|bed|lie down|lying")


def flag_id(category: str, level: str, text: str) -> str:
    """The catalogue flag id for a hold-out line's category and level."""
    if category == "none":
        return "none"
    if (category, level) in ONE_FLAG:
        return ONE_FLAG[(category, level)]
    words = text.lower()
    if (category, level) == ("cancer", "urgent"):
        return (
            "weight_loss" if WEIGHT.search(words) and not CANCER.search(words) else "cancer_history"
        )
    if (category, level) == ("cancer", "soon"):
        return "night_pain" if NIGHT.search(words) else "new_back_pain_age"
    if category == "non_msk_emergency":
        for pattern, flag in (
            (r"chest", "chest_pain"),
            (r"face|speech|slur|droop|words|talk", "stroke"),
            (r"breath", "breathless"),
        ):
            if re.search(pattern, words):
                return flag
        return "other_emergency"
    raise ValueError(f"no flag for category {category!r} at level {level!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="corpus file name, without .jsonl")
    parser.add_argument("sets", type=Path, nargs="+")
    args = parser.parse_args()
    lines = []
    for path in args.sets:
        for raw in path.read_text().splitlines():
            if raw.strip():
                item = json.loads(raw)
                label = flag_id(item["category"], item["level"], item["text"])
                lines.append(json.dumps({"text": item["text"], "label": label}, ensure_ascii=False))
    (CORPUS_DIR / f"{args.name}.jsonl").write_text("\n".join(lines) + "\n")
    for path in args.sets:
        path.unlink()
    print(f"{len(lines)} lines to {CORPUS_DIR / args.name}.jsonl")


if __name__ == "__main__":
    main()
