"""The referral's fields (content/referral_fields.yml): sections, optional answers, and the
change list's choices with the answers each clears. Read by submission, the form and the
change flow; intake/ reads the same file for field order and search."""

from __future__ import annotations

from functools import cache

from bot.content_store import load

SECTIONS = ("patient", "problem", "eligibility")


def fields() -> dict[str, dict]:
    return load("referral_fields")["fields"]


def section_fields(section: str) -> tuple[str, ...]:
    """The fields the stored referral holds in `section`, in order."""
    return tuple(name for name, field in fields().items() if field["section"] == section)


def optional_fields() -> frozenset[str]:
    return frozenset(name for name, field in fields().items() if field.get("optional"))


@cache
def change_groups() -> dict[str, tuple[str, ...]]:
    """Each choice of the change list, and the answers it clears: its own fields, in order,
    then what depends on them."""
    groups: dict[str, list[str]] = {}
    for name, field in fields().items():
        if field.get("change"):
            groups.setdefault(field["change"], []).append(name)
    for group, extra in load("referral_fields")["also_clears"].items():
        groups[group] += [slot for slot in extra if slot not in groups[group]]
    return {group: tuple(slots) for group, slots in groups.items()}


def problem_change_groups() -> tuple[str, ...]:
    """The change-list choices about the problem (a second problem asks them all again)."""
    return tuple(
        group
        for group, slots in change_groups().items()
        if fields().get(slots[0], {}).get("section") == "problem"
    )


def form_questions() -> tuple[str, ...]:
    """The referral form's questions, in the order asked (the built domain's form)."""
    return tuple(load("referral_fields")["form"]["questions"])


def also_clears() -> dict[str, tuple[str, ...]]:
    """What else changing a field clears, so the form asks it again."""
    return {field: tuple(slots) for field, slots in load("referral_fields")["also_clears"].items()}
