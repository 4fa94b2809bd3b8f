"""Red-flag figures for make eval: in-sample, cross-validated, and first scores of hold-out sets.

- in-sample: the rules and the learned detector (fitted on everything) on the training corpus;
- cross-validated: the learned detector in seeded stratified folds of the corpus (the NLU
  examples of other intents always train, as negatives), OR'ed with the rules, as deployed;
- hold-out: each set in tests/red_flag_holdout/ written by people who saw neither the
  catalogue, the detectors nor the corpus. Its first score is appended, with date and commit,
  to docs/red_flag_first_scores.md and never rewritten; later runs report it as seen again.

A positive counts as escalated when a flag at its level or higher is raised; as caught when
it is escalated, or a check question is asked for a flag at its level or higher (a "yes"
then escalates at that level). A negative counts as clear when neither happens.

Usage: python -m scripts.red_flag_eval [--out var/results/red_flags] [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

os.environ.setdefault("SENTENCE_CACHE_SIZE", "100000")  # every corpus text encoded once

import numpy as np  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from bot.nlu.red_flag_classifier import decide  # noqa: E402
from bot.nlu.red_flag_model import (  # noqa: E402
    NONE,
    RedFlagModel,
    assessments,
    nlu_negatives,
    read_corpus,
    without_repeats,
)
from bot.red_flag_catalogue import LEVEL_RANK  # noqa: E402
from bot.red_flag_detector import default_detector  # noqa: E402
from scripts.layout import ROOT  # noqa: E402

HOLDOUT_DIR = ROOT / "tests" / "red_flag_holdout"
FIRST_SCORES = ROOT / "docs" / "red_flag_first_scores.md"
EMERGENCY = "emergency"


@dataclass(frozen=True)
class Item:
    text: str
    category: str  # "none" for a negative
    level: str  # "none" for a negative
    kind: str = ""


@dataclass(frozen=True)
class Outcome:
    escalated: str | None  # the highest level raised
    asked: str | None  # the level of the check question's flag


def wilson_lower(hits: int, n: int, z: float = 1.96) -> float:
    """Lower end of the Wilson 95 % interval for hits/n."""
    if n == 0:
        return 0.0
    p = hits / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def corpus_items(texts: list[str], labels: list[str]) -> list[Item]:
    """Corpus lines as scored items (category and level from the catalogue's flag)."""
    flags = default_detector().catalogue.flags
    return [
        Item(text, "none", "none")
        if label == NONE
        else Item(text, flags[label].category, flags[label].level)
        for text, label in zip(texts, labels, strict=True)
    ]


def holdout_items(path: Path) -> list[Item]:
    """A hold-out set: JSON lines with text, category, level (and kind for negatives)."""
    items = []
    for line in path.read_text().splitlines():
        if line.strip():
            raw = json.loads(line)
            items.append(Item(raw["text"], raw["category"], raw["level"], raw.get("kind", "")))
    return items


def outcomes(items: list[Item], probabilities: np.ndarray, classes: list[str], config) -> list:
    """What the deployed decision (rules OR learned, check when unsure) does with each item."""
    detector = _CachedDetector()
    flags = detector.catalogue.flags
    opinions = assessments(probabilities, classes, config)
    result = []
    for item, opinion in zip(items, opinions, strict=True):
        raised, check = decide(detector, item.text, opinion)
        escalated = max((flags[f].level for f in raised), key=LEVEL_RANK.get, default=None)
        asked = flags[check].level if check else None
        result.append(Outcome(escalated, asked))
    return result


class _CachedDetector:
    """The rules' analysis of each text computed once (the sweep scores every text often)."""

    _analyses: dict = {}

    def __init__(self) -> None:
        self.detector = default_detector()
        self.catalogue = self.detector.catalogue

    def analyse(self, text: str):
        if text not in self._analyses:
            self._analyses[text] = self.detector.analyse(text)
        return self._analyses[text]


def _at_least(level: str | None, wanted: str) -> bool:
    return level is not None and LEVEL_RANK[level] >= LEVEL_RANK[wanted]


def report(title: str, items: list[Item], results: list[Outcome]) -> str:
    """Markdown: per category escalated and caught (with Wilson lower bounds), negatives."""
    rows: dict[str, Counter] = defaultdict(Counter)
    negatives: dict[str, Counter] = defaultdict(Counter)
    for item, outcome in zip(items, results, strict=True):
        if item.category == "none":
            row = negatives[item.kind or "all"]
            row["n"] += 1
            row["clear"] += outcome.escalated is None and outcome.asked is None
            row["asked"] += outcome.escalated is None and outcome.asked is not None
            row["escalated"] += outcome.escalated is not None
            continue
        for key in (item.category, "**all**") + (
            ("**emergency**",) if item.level == EMERGENCY else ()
        ):
            row = rows[key]
            row["n"] += 1
            row["escalated"] += _at_least(outcome.escalated, item.level)
            row["exact"] += outcome.escalated == item.level
            row["caught"] += _at_least(outcome.escalated, item.level) or _at_least(
                outcome.asked, item.level
            )
    lines = [f"#### {title}", ""]
    if rows:
        lines += [
            "| category | n | escalated at its level or higher | (95 % lower) | exactly its level"
            " | caught: escalated or asked at its level | (95 % lower) |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        order = sorted(k for k in rows if not k.startswith("**")) + [
            k for k in ("**emergency**", "**all**") if k in rows
        ]
        for key in order:
            r = rows[key]
            lines.append(
                f"| {key} | {r['n']} | {r['escalated']}/{r['n']} = {r['escalated'] / r['n']:.3f}"
                f" | {wilson_lower(r['escalated'], r['n']):.3f} | {r['exact'] / r['n']:.3f}"
                f" | {r['caught']}/{r['n']} = {r['caught'] / r['n']:.3f}"
                f" | {wilson_lower(r['caught'], r['n']):.3f} |"
            )
        lines.append("")
    if negatives:
        total = Counter()
        for counts in negatives.values():
            total.update(counts)
        lines += [
            "| negatives | n | clear (specificity) | (95 % lower) | check question | escalated |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for key, r in [*sorted(negatives.items()), ("**all**", total)]:
            lines.append(
                f"| {key} | {r['n']} | {r['clear']}/{r['n']} = {r['clear'] / r['n']:.3f}"
                f" | {wilson_lower(r['clear'], r['n']):.3f} | {r['asked'] / r['n']:.3f}"
                f" | {r['escalated'] / r['n']:.3f} |"
            )
        lines.append("")
    return "\n".join(lines)


def sweep(items: list[Item], probabilities: np.ndarray, classes: list[str], config) -> str:
    """How the cross-validated figures move with the two thresholds (to choose them)."""
    lines = [
        "#### Thresholds on cross-validated probabilities",
        "",
        "| escalate at | ask from | positives caught | emergency caught | negatives asked"
        " | negatives escalated |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    positives = [i for i, item in enumerate(items) if item.category != "none"]
    emergencies = [i for i in positives if items[i].level == EMERGENCY]
    negatives = [i for i, item in enumerate(items) if item.category == "none"]
    for escalate_at in (0.6, 0.7, 0.8, 0.9):
        for ask_from in (0.2, 0.3, 0.4, 0.5):
            if ask_from >= escalate_at:
                continue
            trial = {**config, "escalate_at": escalate_at, "ask_from": ask_from}
            results = outcomes(items, probabilities, classes, trial)

            def caught(i: int, results=results) -> bool:
                r, wanted = results[i], items[i].level
                return _at_least(r.escalated, wanted) or _at_least(r.asked, wanted)

            asked = sum(
                results[i].escalated is None and results[i].asked is not None for i in negatives
            )
            escalated = sum(results[i].escalated is not None for i in negatives)
            lines.append(
                f"| {escalate_at} | {ask_from} | {sum(map(caught, positives)) / len(positives):.3f}"
                f" | {sum(map(caught, emergencies)) / len(emergencies):.3f}"
                f" | {asked / len(negatives):.3f} | {escalated / len(negatives):.3f} |"
            )
    return "\n".join(lines) + "\n"


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "bot", "content", "config.yml"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def recorded_sets() -> set[str]:
    if not FIRST_SCORES.exists():
        return set()
    return {
        line.split("`")[1]
        for line in FIRST_SCORES.read_text().splitlines()
        if line.startswith("### `")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "results" / "red_flags")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--no-holdout", action="store_true", help="leave the hold-out sets unscored (tuning)"
    )
    parser.add_argument(
        "--holdout", type=Path, nargs="*", help="these sets only (default: every set)"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    texts, labels = without_repeats(*read_corpus())
    extra = [
        t for t in dict.fromkeys(nlu_negatives()) if t.lower() not in {x.lower() for x in texts}
    ]
    model = RedFlagModel().fit(texts + extra, labels + [NONE] * len(extra))
    config, classes = model.config, model.classes
    items = corpus_items(texts, labels)
    sections = ["### Red flags: both detectors, as deployed", ""]
    sections.append(
        f"Corpus: {len(texts)} lines ({labels.count(NONE)} negatives) in"
        f" `bot/data/red_flag_corpus/`, plus {len(extra)} NLU examples of other intents as"
        f" negatives. Thresholds: escalate at P(flag) >= {config['escalate_at']}, ask from"
        f" {config['ask_from']}; n-grams alone clear below {config['words_clear']}.\n"
    )
    sections.append(
        report(
            "In-sample (trained on these lines)",
            items,
            outcomes(items, model.probabilities(texts), classes, config),
        )
    )

    # Cross-validation: the learned detector never sees the fold it is scored on.
    cv = np.zeros((len(texts), len(classes)))
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    for train, test in folds.split(texts, labels):
        fold_model = RedFlagModel().fit(
            [texts[i] for i in train] + extra, [labels[i] for i in train] + [NONE] * len(extra)
        )
        cv[test] = fold_model.probabilities([texts[i] for i in test])[
            :, [fold_model.classes.index(c) for c in classes]
        ]
    np.save(args.out / "cv_probabilities.npy", cv)
    sections.append(sweep(items, cv, classes, config))
    sections.append(
        report(
            f"Cross-validated ({args.folds} seeded folds)",
            items,
            outcomes(items, cv, classes, config),
        )
    )

    # Hold-out sets: the first score of a new set is recorded for good.
    done = recorded_sets()
    sets = (
        [p.resolve() for p in args.holdout] if args.holdout else sorted(HOLDOUT_DIR.glob("*.jsonl"))
    )
    for path in [] if args.no_holdout else sets:
        name = str(path.relative_to(ROOT))
        held = holdout_items(path)
        table = report(
            f"Hold-out `{name}`",
            held,
            outcomes(held, model.probabilities([i.text for i in held]), classes, config),
        )
        if name not in done:
            with FIRST_SCORES.open("a") as record:
                record.write(
                    f"### `{name}`\n\nFirst score, {date.today().isoformat()}, commit {commit()},"
                    f" before any of its misses were used.\n\n{table}\n"
                )
            sections.append(table.replace("####", "#### First score:", 1))
        else:
            sections.append(table.replace("####", "#### Seen again (first score recorded):", 1))
    (args.out / "red_flags.md").write_text("\n".join(sections))
    print("\n".join(sections))


if __name__ == "__main__":
    main()
