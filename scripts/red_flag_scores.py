"""Sensitivity (at the right level or higher) per category and specificity of the red-flag detector.

Usage: python -m scripts.red_flag_scores [tests/red_flag_utterances.yml]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import yaml

from bot.red_flag_catalogue import LEVEL_RANK
from bot.red_flag_detector import default_detector


def scores(path: Path) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """(found, total) per positive category, and (clear, total) per negative kind."""
    data = yaml.safe_load(path.read_text())
    detector = default_detector()
    found, total = Counter(), Counter()
    for item in data["positives"]:
        hits = detector.detect(item["text"])
        total[item["category"]] += 1
        if hits and LEVEL_RANK[hits[0].level] >= LEVEL_RANK[item["level"]]:
            found[item["category"]] += 1
    clear, kinds = Counter(), Counter()
    for item in data["negatives"]:
        kinds[item["kind"]] += 1
        if not detector.detect(item["text"]):
            clear[item["kind"]] += 1
    return (
        {c: (found[c], total[c]) for c in sorted(total)},
        {k: (clear[k], kinds[k]) for k in sorted(kinds)},
    )


def table(heading: str, counts: dict[str, tuple[int, int]]) -> str:
    """A markdown table of hit/total per row, with an overall row."""
    lines = [f"| {heading} |\n| --- | --- |"]
    lines += [f"| {name} | {hit}/{n} = {hit / n:.3f} |" for name, (hit, n) in counts.items()]
    hit, n = sum(h for h, _ in counts.values()), sum(t for _, t in counts.values())
    lines.append(f"| **all** | {hit}/{n} = {hit / n:.3f} |")
    return "\n".join(lines)


def main(path: Path) -> None:
    positives, negatives = scores(path)
    print(table("category | sensitivity (level or higher)", positives) + "\n")
    print(table("negatives | specificity", negatives))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/red_flag_utterances.yml"))
