"""Hold-out red-flag sets end to end over Rasa's REST channel, in three contexts.

Each line of each set in tests/red_flag_holdout/ is sent, in a conversation of its own, as:
- first: the opening message;
- early: after "I'd like to refer myself" (at the consent question);
- deep: as the answer to the question the form has open after the problem is described
  (a scripted patient's answers up to "how long have you had it").
The replies' escalation and check-question markers are scored as in scripts/red_flag_eval.py.
The first score of each set in each context is appended to docs/red_flag_first_scores.md.

Usage: python -m scripts.red_flag_rest [--out var/results/red_flags]
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from bot.red_flag_catalogue import LEVEL_RANK
from scripts.layout import ROOT
from scripts.red_flag_eval import (
    FIRST_SCORES,
    HOLDOUT_DIR,
    Outcome,
    commit,
    holdout_items,
    recorded_sets,
    report,
)
from scripts.running_stack import RunningStack
from scripts.simulated_patient import TYPICAL, answer_for, last_text

CONTEXTS = ("first", "early", "deep")
DEEP_CUE = "how long have you had it"


def outcome(replies: list[dict]) -> Outcome:
    escalated = asked = None
    rank = LEVEL_RANK
    for reply in replies:
        custom = reply.get("custom") or {}
        if "escalation" in custom:
            level = custom["escalation"]["level"]
            if escalated is None or rank[level] > rank[escalated]:
                escalated = level
        if "red_flag_check" in custom:
            asked = custom["red_flag_check"]["level"]
    return Outcome(escalated, asked)


def send(stack: RunningStack, context: str, text: str) -> Outcome:
    sender = f"rest-{context}-{uuid.uuid4().hex[:12]}"
    if context == "early":
        stack.say(sender, "I'd like to refer myself")
    elif context == "deep":
        replies = stack.say(sender, "I'd like to refer myself")
        for _ in range(30):
            if DEEP_CUE in last_text(replies).lower():
                break
            replies = stack.say(sender, answer_for(TYPICAL, replies) or "no")
        else:
            raise RuntimeError("the form never reached the duration question")
    return outcome(stack.say(sender, text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "results" / "red_flags")
    parser.add_argument("--holdout", type=Path, nargs="*", help="these sets only")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sections = ["### Hold-out sets end to end over the REST channel", ""]
    done = recorded_sets()
    with tempfile.TemporaryDirectory(prefix="red-flag-rest-") as state:
        stack = RunningStack(Path(state))
        try:
            stack.wait_ready()
            sets = args.holdout or sorted(HOLDOUT_DIR.glob("*.jsonl"))
            for path in [p.resolve() for p in sets]:
                items = holdout_items(path)
                for context in CONTEXTS:
                    with ThreadPoolExecutor(4) as pool:
                        results = list(
                            pool.map(
                                send,
                                [stack] * len(items),
                                [context] * len(items),
                                [i.text for i in items],
                            )
                        )
                    name = f"{path.relative_to(ROOT)} over REST, {context}"
                    table = report(f"`{name}`", items, results)
                    if name not in done:
                        with FIRST_SCORES.open("a") as record:
                            record.write(
                                f"### `{name}`\n\nFirst score, {date.today().isoformat()},"
                                f" commit {commit()}, before any of its misses were used.\n\n"
                                f"{table}\n"
                            )
                    sections.append(table)
        finally:
            stack.stop()
    (args.out / "rest.md").write_text("\n".join(sections))
    print("\n".join(sections))


if __name__ == "__main__":
    main()
