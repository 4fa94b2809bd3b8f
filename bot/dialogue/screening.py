"""The red-flag screening questions asked before personal details, for the body area.

Each emergency question is asked on its own (cauda equina: "Since this started, have you had
any of these?"). The area's other questions are asked first as one list ("Do any of these
apply to you?", every line of each): a patient for whom none apply answers once instead of
once a question. "Yes" to the list asks its questions again one at a time, so a "yes" always
escalates at the level of the flag it is about; "No" answers each of them no.

The answers (slot screening_answers) map each flag id to "yes" or "no"; ANY_OF_THESE_<id>
holds the answer to the list itself, sent with the referral only when it is yes
(`answers_to_send`). A list holds at most MAX_LINES lines, a line two questions share once;
an area with more asks two lists. A "no" with an exception ("no, apart from the steroids")
is asked again.
Pure functions over the catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.dialogue.escalation import catalogue
from bot.red_flag_catalogue import RedFlag

ANY_OF_THESE = "any_of_these"
MAX_LINES = 10  # lines in one list at the most; more questions make a second list
ALONE = "emergency"  # the level whose questions are never put in a list
BULLET = "•"


@dataclass(frozen=True)
class ScreeningList:
    """Several screening questions asked as one list."""

    flags: tuple[RedFlag, ...]
    id: str  # ANY_OF_THESE_<first flag's id>

    @property
    def lines(self) -> tuple[str, ...]:
        """Each question's lines, in order, a line two questions share only once."""
        return tuple(dict.fromkeys(line for flag in self.flags for line in list_lines(flag)))


def list_lines(flag: RedFlag) -> tuple[str, ...]:
    """A screening question as lines of a list: its own bullet lines, or its `in_a_list`."""
    question = flag.screening_question or ""
    bullets = [
        line.strip().removeprefix(BULLET).strip()
        for line in question.splitlines()
        if line.strip().startswith(BULLET)
    ]
    if bullets:
        return tuple(bullets)
    return (flag.screening_line,) if flag.screening_line else ()


def lists_for(flags: list[RedFlag]) -> list[ScreeningList]:
    """The area's questions that go in lists, in order, at most MAX_LINES lines a list."""
    lists: list[list[RedFlag]] = [[]]
    for flag in flags:
        if flag.level == ALONE or not list_lines(flag):
            continue
        if lists[-1] and sum(len(list_lines(f)) for f in [*lists[-1], flag]) > MAX_LINES:
            lists.append([])
        lists[-1].append(flag)
    return [
        ScreeningList(tuple(group), f"{ANY_OF_THESE}_{group[0].id}") for group in lists if group
    ]


def next_screening_question(
    body_area: str | None, answers: dict[str, str], age: int | None = None
) -> RedFlag | ScreeningList | None:
    """The next question for this area (and age, when known): an emergency question alone; a
    list of the others while none of its questions is answered; after "yes" to a list, each of
    its questions."""
    flags = catalogue().screening_for(body_area, age)
    pending = [flag for flag in flags if flag.id not in answers]
    if not pending:
        return None
    first = pending[0]
    for group in lists_for(flags):
        if first in group.flags and len(group.flags) > 1 and group.id not in answers:
            return group
    return first


def answered(
    question: RedFlag | ScreeningList, answers: dict[str, str], yes: bool
) -> dict[str, str]:
    """The answers with this one added: "no" to a list answers each of its questions no."""
    answers = dict(answers)
    said = "yes" if yes else "no"
    answers[question.id] = said
    if isinstance(question, ScreeningList) and not yes:
        answers.update({flag.id: "no" for flag in question.flags})
    return answers


def answers_to_send(answers: dict[str, str]) -> dict[str, str]:
    """Each flag's answer, as the referral carries it, and a "yes" to a list: a patient who
    said yes to a list and then no to each of its questions reaches staff with that yes."""
    return {
        question: said
        for question, said in answers.items()
        if not question.startswith(ANY_OF_THESE) or said == "yes"
    }


# A "no" that goes on to name an exception ("no, apart from the steroids"): not a plain no.
_QUALIFIED = re.compile(
    r"\b(?:except|apart from|but|only|other than|besides|unless|although|though)\b", re.I
)


def qualified_no(text: str) -> bool:
    """A no with an exception after it, which a screening question must not take as no."""
    return bool(_QUALIFIED.search(text or ""))
