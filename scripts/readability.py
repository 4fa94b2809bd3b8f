"""Readability of every patient-facing text in content/, worst first.

Score: Flesch-Kincaid grade level (textstat 0.7.3, offline); reading age = grade + 5.
Our target is a reading age of about 11 (grade 6), as NHS.UK aims for.

    .venv/bin/python -m scripts.readability            # every text, worst first
    .venv/bin/python -m scripts.readability --worst 15 # the 15 hardest
    .venv/bin/python -m scripts.readability --source signposting

Used by tests/unit/test_content.py, which holds our signposting summaries to the target and
reports the hardest texts elsewhere in content/.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import textstat
import yaml

CONTENT = Path(__file__).resolve().parent.parent / "content"
TARGET_READING_AGE = 11
GRADE_TO_AGE = 5
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@dataclass(frozen=True)
class Scored:
    source: str  # file in content/
    key: str  # where in the file
    text: str
    grade: float

    @property
    def reading_age(self) -> float:
        return self.grade + GRADE_TO_AGE

    @property
    def words(self) -> int:
        return len(self.text.split())


_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BULLET = re.compile(r"^\s*(?:[•*]|-\s)\s*(.*?)[.;,]?\s*$")


def clean(text: str) -> str:
    """Text as a patient reads it: placeholders become a short word, and each line (folded
    YAML has none; a list or a read-back has one per item) is read as a sentence of its own."""
    lines = []
    text = _COMMENT.sub(" ", text)  # a note for the service, not shown to patients
    for line in _PLACEHOLDER.sub("it", text).splitlines():
        bullet = _BULLET.match(line)
        line = (bullet.group(1) if bullet else line).strip()
        # a text kept in lines (a list, a read-back) is read a line at a time
        lines.append(line if not line or line[-1] in ".?!:" else f"{line}.")
    return " ".join(" ".join(lines).split())


def grade(text: str) -> float:
    """Flesch-Kincaid grade level of the cleaned text."""
    return float(textstat.flesch_kincaid_grade(clean(text)))


def _responses(path: Path) -> Iterator[tuple[str, str]]:
    for name, variants in (yaml.safe_load(path.read_text()).get("responses") or {}).items():
        for index, variant in enumerate(variants):
            if variant.get("text"):
                yield (name if len(variants) == 1 else f"{name}[{index}]"), variant["text"]


def _red_flags(path: Path) -> Iterator[tuple[str, str]]:
    raw = yaml.safe_load(path.read_text())
    for level, wording in raw["levels"].items():
        for field in ("heading", "stop_note"):
            yield f"levels.{level}.{field}", wording[field]
    for flag in raw["red_flags"]:
        for field in ("why", "advice"):
            if flag.get(field):
                yield f"{flag['id']}.{field}", flag[field]
        if flag.get("screening"):
            yield f"{flag['id']}.screening.question", flag["screening"]["question"]


def _signposting(path: Path) -> Iterator[tuple[str, str]]:
    for item in yaml.safe_load(path.read_text())["resources"]:
        yield f"{item['id']}.summary", item["summary"]


def _markdown(path: Path) -> Iterator[tuple[str, str]]:
    """Paragraphs and list items of a Markdown page, headings left out."""
    heading = "top"
    for block in re.split(r"\n\s*\n", path.read_text()):
        lines = []
        for line in block.strip().splitlines():
            if line.startswith("#"):
                heading = line.lstrip("#").strip()
            else:
                lines.append(line)
        if lines:
            text = re.sub(r"[*_`>]|\[([^\]]*)\]\([^)]*\)", r"\1", "\n".join(lines))
            yield heading, text


SOURCES = {
    "responses.yml": _responses,
    "red_flags.yml": _red_flags,
    "signposting.yml": _signposting,
    "privacy.md": _markdown,
}


def score_all(content: Path = CONTENT) -> list[Scored]:
    """Every patient-facing text in content/, scored, worst first."""
    rows = [
        Scored(source=name, key=key, text=clean(text), grade=grade(text))
        for name, read in SOURCES.items()
        if (content / name).exists()
        for key, text in read(content / name)
        if clean(text)
    ]
    return sorted(rows, key=lambda row: (-row.grade, row.source, row.key))


def table(rows: list[Scored], width: int = 70) -> str:
    """A plain-text table: reading age, grade, words, where, and the start of the text."""
    lines = [f"{'age':>5} {'grade':>5} {'words':>5}  {'where':<48} text"]
    for row in rows:
        where = f"{row.source}:{row.key}"[:48]
        text = row.text if len(row.text) <= width else row.text[: width - 3] + "..."
        lines.append(f"{row.reading_age:5.1f} {row.grade:5.1f} {row.words:5d}  {where:<48} {text}")
    return "\n".join(lines)


def summary(rows: list[Scored]) -> str:
    """How many texts, how many over target, and the mean reading age, per source."""
    lines = []
    for source in SOURCES:
        mine = [row for row in rows if row.source == source]
        if not mine:
            continue
        over = sum(row.reading_age > TARGET_READING_AGE for row in mine)
        mean = sum(row.reading_age for row in mine) / len(mine)
        lines.append(
            f"{source}: {len(mine)} texts, mean reading age {mean:.1f}, "
            f"{over} over the target of {TARGET_READING_AGE}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worst", type=int, default=0, help="show only the N hardest texts")
    parser.add_argument("--source", help="only texts from this file (e.g. signposting)")
    args = parser.parse_args()
    rows = score_all()
    if args.source:
        rows = [row for row in rows if row.source.startswith(args.source)]
    print(summary(rows))
    print()
    print(table(rows[: args.worst] if args.worst else rows))


if __name__ == "__main__":
    main()
