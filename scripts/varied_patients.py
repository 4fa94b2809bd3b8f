"""Generated patients who answer in varied formats and orders, and what their referral must say.

Each patient is drawn from a seeded random generator: a fake name, a date of birth, a
postcode in the area, a valid or unknown NHS number, a phone number and email in one of the
ways people write them, and a problem told either in the opening message or answer by
answer, a postcode sometimes with the date of birth. Every answer is valid, so a question
asked twice, or asked after the patient already said the answer, is a misunderstanding. Used by
`make eval` (completion, fields stored as said, repeated questions) and an integration test.

    python -m scripts.varied_patients [--patients 40] [--seed 2026]
"""

from __future__ import annotations

import argparse
import functools
import random
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import requests
from stdnum.gb import nhs

from bot import gp_practices
from bot.content_store import load as load_content
from scripts.running_stack import RunningStack
from scripts.simulated_patient import (
    SUMMARY_CUE,
    Persona,
    Say,
    answer_for,
    last_text,
    referral_marker,
    tapped,
)

FIRST_NAMES = ("Sam", "Alex", "Jo", "Chris", "Pat", "Robin", "Jamie", "Casey", "Morgan", "Kit")
LAST_NAMES = ("Sample", "Example", "Specimen", "Testcase", "Placeholder", "Fictional")
IN_AREA = load_content("eligibility")["in_area_districts"]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
NOT_GIVEN = "not given"  # what the referral holds for an optional answer the patient declined
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# (what the patient says, the value stored) for the problem; {side} is filled in.
AREAS = {
    "knee": ("my {side} knee", "{side} knee", "the knee", "knee pain on the {side}"),
    "back": ("lower back", "my back", "bad back", "it's my lower back"),
    "shoulder": ("my {side} shoulder", "{side} shoulder", "shoulder"),
    "hip": ("my {side} hip", "hip", "the hip joint"),
    "ankle_foot": ("my {side} ankle", "ankle", "my foot", "heel"),
    "neck": ("my neck", "neck", "stiff neck"),
    "wrist_hand": ("my {side} wrist", "wrist", "my hand"),
    "elbow": ("my {side} elbow", "elbow"),
}
SIDES = {
    "left": ("left", "the left one", "left side"),
    "right": ("right", "the right one", "right side"),
    "both": ("both", "both sides"),
}
ONSETS = {
    "injury": (
        "I twisted it playing football",
        "I fell over",
        "hurt it lifting a box at work",
        "slipped on the ice",
        "after a fall",
    ),
    "gradual": (
        "it came on gradually",
        "no injury, it just started",
        "slowly over time",
        "it just crept up on me",
    ),
}
DURATIONS = (
    "3 months",
    "about three months",
    "6 weeks",
    "a fortnight",
    "two years",
    "over a year",
    "about 10 days",
)
ANSWERED_DURATIONS = (
    *DURATIONS,
    "since March",
    "since last summer, about 5 months",
    "since Christmas",
    "a couple of months",
    "18 months",
    "6 wks",
    "about a year and a half",
)
# The part of the body as said in an opening message: "my left knee", "both my knees".
NOUNS = {
    "knee": "knee",
    "back": "back",
    "shoulder": "shoulder",
    "hip": "hip",
    "ankle_foot": "ankle",
    "neck": "neck",
    "wrist_hand": "wrist",
    "elbow": "elbow",
}
PAIN = {
    "6": ("6", "six", "6/10", "six out of ten", "about a 6"),
    "7": ("7", "seven", "7 out of 10", "I'd say 7"),
    "4": ("4", "four", "4/10", "around four"),
    "8": ("8", "eight out of 10", "it's an 8"),
}
IMPACT = (
    "I struggle with stairs",
    "can't sleep on that side",
    "hard to walk the dog",
    "it wakes me up at night and I can't get dressed easily",
    "cant sit for long",
)
WORK = (
    "I'm in work",
    "working full time",
    "retired",
    "off work because of it",
    "not working",
    "I'm a student",
    "still working but struggling",
)
JOBS = ("delivery driver", "nurse", "I work in an office", "teacher", "builder", "cleaner")
TRIED = (
    "paracetamol",
    "ibuprofen and rest",
    "nothing yet",
    "I saw a physio last year",
    "exercises off youtube",
    "co-codamol from the GP",
)
GOALS = (
    "walking the dog",
    "playing football",
    "work",
    "gardening",
    "sleeping through",
    "going to the gym",
)
YES = ("yes", "yes please", "ok", "yeah go on", "sure")
NO = ("no", "nope", "no I haven't", "no none of those")
CONFIRM = ("yes", "that's all correct", "yes that's right", "looks right")
NOT_SEEN = ("no", "no, first time", "nope")
PRACTICES = (
    "Example Street Surgery",
    "the Test Lane practice",
    "dont know",
    "Sample Road Medical Centre",
)
KEEP_PRACTICE = ("tap:Keep what I typed", "keep it", "yes")
TOWNS = ("Cannock", "Stafford", "Leek", "Stone", "Burslem", "Tamworth", "Lichfield")
PERMISSIONS = {
    "both": ("both are fine", "yes both", "either is fine"),
    "voicemail": ("voicemail only", "just voicemail"),
    "text": ("texts only", "text is fine"),
}
NEEDS = ("no", "none thanks", "I need a Polish interpreter", "large print please")


@dataclass(frozen=True)
class Generated:
    persona: Persona
    expected: dict[str, dict[str, str | None]] = field(default_factory=dict)
    told: tuple[str, ...] = ()  # cues of questions answered before they were asked
    # (cue, message): said once, before answering the question with that cue (a correction)
    asides: tuple[tuple[str, str], ...] = ()


def valid_nhs_number(rng: random.Random) -> str:
    """Ten digits whose Modulus 11 check digit is valid (never a check digit of 10)."""
    while True:
        body = "".join(str(rng.randrange(10)) for _ in range(9))
        valid = [body + digit for digit in "0123456789" if nhs.is_valid(body + digit)]
        if valid:
            return valid[0]


def ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def birth_date_said(rng: random.Random, born: date) -> str:
    month = MONTHS[born.month - 1]
    return rng.choice(
        (
            f"{born:%d/%m/%Y}",
            f"{born:%d/%m/%y}",
            f"{born.day}/{born.month}/{born.year}",
            f"{ordinal(born.day)} {month} {born.year}",
            f"{born.day} {month[:3]} {born.year}",
            f"{born:%d.%m.%Y}",
            f"{born.day}-{born.month}-{born.year}",
            f"{born:%Y-%m-%d}",
            f"{born:%Y/%m/%d}",
            f"its {born.day}/{born.month}/{born:%y}",
            f"born on the {ordinal(born.day)} of {month} {born.year}",
            f"{month} {ordinal(born.day)} {born.year}",
        )
    )


def postcode_said(rng: random.Random, code: str) -> str:
    outward, inward = code.split()
    return rng.choice(
        (
            code,
            code.lower(),
            outward + inward,
            f" {outward.lower()}  {inward} ",
            f"my postcode is {code}",
            f"it's {outward.lower()}{inward.lower()}",
        )
    )


def nhs_said(rng: random.Random, digits: str) -> tuple[str, str | None]:
    shown = f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    if rng.random() < 0.3:
        declined = rng.choice(("I don't know it", "no idea", "not sure sorry", "dont know"))
        return declined, NOT_GIVEN
    said = rng.choice((shown, digits, shown.replace(" ", "-"), f"my nhs number is {shown}"))
    return said, shown


def phone_said(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.7:
        local = f"900{rng.randrange(1000):03d}"
        shown = f"07700 {local}"
        said = rng.choice(
            (
                shown,
                f"07700{local}",
                f"+44 7700 {local}",
                f"+447700{local}",
                f"0044 7700 {local}",
                f"07700-{local}",
                f"my mobile is {shown}",
            )
        )
    else:
        local = f"960{rng.randrange(1000):03d}"
        shown = f"01632 {local}"
        said = rng.choice((shown, f"(01632) {local}", f"01632{local}", f"+44 1632 {local}"))
    return said, shown


def email_said(rng: random.Random, first: str, last: str) -> tuple[str, str | None]:
    if rng.random() < 0.3:
        return rng.choice(("no", "I don't have one", "no email", "rather not")), NOT_GIVEN
    address = f"{first}.{last}@example.com".lower()
    said = rng.choice((address, f"my email address is {address}", f"{first}{last}@Example.ORG"))
    stored = address if "example.com" in said else f"{first}{last}@example.org"
    return said, stored


def phone_and_email_said(rng: random.Random, phone: str, email: str, stored: str | None) -> str:
    """The answer to the phone question, which invites an email too: the phone alone, or
    with a word that there is none, when the patient has no email to give."""
    if stored == NOT_GIVEN:
        return rng.choice((phone, phone, f"{phone}, no email", f"{phone}. I don't have an email"))
    return rng.choice((f"{phone}, {email}", f"{phone} and {email}", f"{phone}. {email}"))


def generate(seed: int, count: int) -> list[Generated]:
    """`count` patients from `seed`, the same every time."""
    rng = random.Random(seed)
    return [with_extras(one_patient(rng, index), seed, index) for index in range(count)]


# A practice typed the way people type it: its name in any case, without its last word, with
# a slip, or by its street and town; a later message corrects the date of birth.
SLIPS = ("swap", "drop", "double")


def practice_said(rng: random.Random) -> tuple[str, gp_practices.Practice]:
    practice = rng.choice(gp_practices.practices())
    name = practice.name
    words = name.split()
    longest = max(words, key=len)
    if len(longest) >= 6:
        i = rng.randrange(1, len(longest) - 2)
        slip = rng.choice(SLIPS)
        slipped = {
            "swap": longest[:i] + longest[i + 1] + longest[i] + longest[i + 2 :],
            "drop": longest[:i] + longest[i + 1 :],
            "double": longest[:i] + longest[i] + longest[i:],
        }[slip]
    else:
        slipped = longest
    said = rng.choice(
        (
            name,
            name.lower(),
            f"{name.replace(longest, slipped)}",
            f"it's {name} in {practice.place}",
            f"{name.lower()}, {practice.place.lower()}",
        )
    )
    return said, practice


def with_extras(generated: Generated, seed: int, index: int) -> Generated:
    """Four in five patients name a real practice of the ICB loosely (its ODS code must be
    stored: the service is for patients registered there); the rest a practice not in the list
    or "don't know". One in five gives a wrong date of birth and corrects it at a later
    question. Two in three of those asked for their address type it whole (first line, town,
    postcode), the rest the postcode alone. Drawn from their own generator, so the patients
    `one_patient` makes stay as they were."""
    rng = random.Random(seed * 1000 + index)
    persona = generated.persona
    answers = list(persona.answers)
    expected = {section: dict(fields) for section, fields in generated.expected.items()}
    asides: tuple[tuple[str, str], ...] = ()
    if rng.random() < 0.8:
        said, practice = practice_said(rng)
        answers = [
            (cue, said if cue == "gp practice (surgery)" else reply) for cue, reply in answers
        ]
        answers.append(("one of these?", practice.name))  # "Is your GP practice one of these?"
        expected["eligibility"] = {"gp_ods_code": practice.ods_code}
    if rng.random() < 0.2 and "home address" not in generated.told:
        born = date.fromisoformat(expected["patient"]["date_of_birth"])
        wrong = born + timedelta(days=rng.choice((-1, 1)) * rng.randrange(1, 400))
        answers = [
            (cue, f"{wrong:%d/%m/%Y}" if cue == "date of birth" else reply)
            for cue, reply in answers
        ]
        cue = rng.choice(("0 (no pain) to 10", "what about work", "what have you tried"))
        correction = rng.choice(
            (
                f"sorry, my date of birth was wrong, it's {born:%d/%m/%Y}",
                f"oops I gave the wrong birthday, should be {born.day} {MONTHS[born.month - 1]}"
                f" {born.year}",
                f"actually my dob is {born:%d.%m.%Y}, I typed it wrong",
            )
        )
        asides = ((cue, correction),)
    told = generated.told
    if "home address" not in told and rng.random() < 2 / 3:
        # asked for the address with the postcode, most patients type both (the first line as
        # they give it later, a town, the postcode); the rest the postcode alone
        line = dict(answers)["first line of your address"]
        code = expected["patient"]["postcode"]
        town = rng.choice(TOWNS)
        address, line = rng.choice(
            (
                (f"{line}, {town}, {code}", line),
                (f"{line.lower()} {code.lower()}", line.lower()),
                (f"{line}, {town} {code.replace(' ', '')}", line),
                (f"it's {line}, {town.lower()}, {code.lower()}", line),
            )
        )
        answers = [(cue, address if cue == "home address" else reply) for cue, reply in answers]
        expected["patient"]["address_line1"] = line
        told = (*told, "first line of your address")
    if not asides and "eligibility" not in expected and told == generated.told:
        return generated
    persona = Persona(persona.name, persona.opening, answers, no=persona.no)
    return Generated(persona, expected, told, asides)


def one_patient(rng: random.Random, index: int) -> Generated:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 64))
    code = f"{rng.choice(IN_AREA)} {rng.randrange(10)}{''.join(rng.sample(INWARD_LETTERS, 2))}"
    area = rng.choice(sorted(AREAS))
    side = rng.choice(sorted(SIDES)) if area not in ("back", "neck") else None
    onset = rng.choice(sorted(ONSETS))
    pain = rng.choice(sorted(PAIN))
    area_words = rng.choice(AREAS[area]).format(side=side or "")
    nhs_text, nhs_shown = nhs_said(rng, valid_nhs_number(rng))
    phone_text, phone_shown = phone_said(rng)
    email_text, email_stored = email_said(rng, first, last)
    permission = rng.choice(sorted(PERMISSIONS))
    name_text = rng.choice(
        (
            f"{first} {last}",
            f"my name is {first} {last}",
            f"{first.lower()} {last.lower()}",
            f"It's {first} {last}",
        )
    )
    onset_text = rng.choice(ONSETS[onset])
    duration_text = rng.choice(DURATIONS)
    if rng.random() < 0.4:  # the problem in the opening message, several answers at once
        noun = NOUNS[area]
        where = {None: f"my {noun}", "both": f"both my {noun}s"}.get(side, f"my {side} {noun}")
        opening = rng.choice(
            (
                f"Hi, {where} has been hurting for {duration_text}, {onset_text.lower()}",
                f"I've had trouble with {where} for {duration_text}. {onset_text}",
                f"{onset_text} and {where} has been bad for {duration_text}",
            )
        )
        duration_answer = duration_text
        told = ["where is the problem", "which side", "how long have you had it"]
        told.append("how did it start")
        # half of them say who they are first; drawn from a generator of their own, so the
        # rest of every patient is as it was before this was added
        own = random.Random(f"introduction-{index}")
        if own.random() < 0.5:
            month = MONTHS[born.month - 1]
            introduction = own.choice(
                (
                    f"Hi, my name is {first} {last}, born {born:%d/%m/%Y}.",
                    f"hello my names {first} {last} dob {born.day}/{born.month}/{born:%y}",
                    f"I'm called {first} {last}, date of birth {ordinal(born.day)} {month} "
                    f"{born.year}.",
                    f"My name's {first.lower()} {last.lower()} and I was born on "
                    f"{born.day} {month} {born.year}.",
                )
            )
            opening = f"{introduction} {opening}"
            told += ["date of birth", "full name"]
    else:
        told = []
        duration_answer = rng.choice(ANSWERED_DURATIONS)
        opening = rng.choice(("hi", "hello", "I want to refer myself", "Hi, I need some help"))
    answers = [
        (SUMMARY_CUE, rng.choice(CONFIRM)),
        ("want to carry on", rng.choice(YES)),
        ("date of birth", birth_date_said(rng, born)),
        ("home postcode", postcode_said(rng, code)),
        ("home address", ""),  # the postcode answer, or the address with it (with_extras)
        ("gp practice (surgery)", rng.choice(PRACTICES)),
        ("could not find", rng.choice(KEEP_PRACTICE)),  # a practice not in the list
        ("already being seen", rng.choice(NOT_SEEN)),
        ("where is the problem", area_words),
        ("which side", rng.choice(SIDES[side]) if side else "neither"),
        ("how did it start", onset_text),
        ("how long have you had it", duration_answer),
        ("0 (no pain) to 10", rng.choice(PAIN[pain])),
        ("daily life", rng.choice(IMPACT)),
        ("what about work", rng.choice(WORK)),
        ("what is your job", rng.choice(JOBS)),
        ("what have you tried", rng.choice(TRIED)),
        ("get back to doing", rng.choice(GOALS)),
        ("full name", name_text),
        ("nhs number", nhs_text),
        ("first line of your address", f"{rng.randrange(1, 200)} Example Road"),
        ("phone number", phone_and_email_said(rng, phone_text, email_text, email_stored)),
        ("email address", email_text),  # asked apart only if the phone was given in passing
        ("voicemail, or send you text", rng.choice(PERMISSIONS[permission])),
        ("help to talk with us", rng.choice(NEEDS)),
    ]
    expected = {
        "patient": {
            "full_name": f"{first} {last}",
            "date_of_birth": born.isoformat(),
            "postcode": code,
            "nhs_number": nhs_shown,
            "phone": phone_shown,
            "email": email_stored,
            "contact_permissions": permission,
        },
        "problem": {
            "body_area": area,
            "side": side,
            "onset": onset,
            "pain_score": pain,
        },
    }
    answers[4] = ("home address", answers[3][1])
    # the postcode given with the date of birth (not when the date of birth was said in the
    # opening: its question, and so the postcode with it, never comes)
    if rng.random() < 0.2 and "date of birth" not in told:
        answers[2] = ("date of birth", f"{answers[2][1]}, {answers[3][1].strip()}")
        told += ["home address", "home postcode"]
    persona = Persona(f"varied-{index}", opening, answers, no=rng.choice(NO))
    return Generated(persona, expected, tuple(told))


@dataclass
class Result:
    name: str
    completed: bool
    messages: int
    repeated: list[str]
    wrong: dict[str, tuple[object, object]]
    stuck_on: str | None = None
    # answers that got a red-flag check question (the question after the patient's "no" to
    # it is the open question again, by design, so it is not counted as repeated)
    checked: tuple[str, ...] = ()
    # what a FHIR library (fhir.resources, R4) refused in the referral's exported bundle;
    # None when no referral was made
    fhir_errors: list[str] | None = None


def converse(
    say: Say,
    persona: Persona,
    told: tuple[str, ...] = (),
    max_messages: int = 40,
    asides: tuple[tuple[str, str], ...] = (),
) -> tuple[Result, str | None]:
    """Hold the conversation; also note every question the bot asked more than once, and
    every answer that got a red-flag check question. An aside is said once, when its
    question comes; the question asked again after it is no repeat."""
    replies = say(persona.opening)
    sent, asked, repeated, answer = 1, set(), [], persona.opening
    checked, after_check, previous = [], False, persona.opening
    pending = list(asides)
    while (marker := referral_marker(replies)) is None:
        question = last_text(replies)
        aside = next((a for a in pending if a[0] in question.lower()), None)
        if aside is not None:
            pending.remove(aside)
            asked.add(question)
            replies = say(aside[1])
            sent += 1
            question = last_text(replies)
            asked.discard(question)  # the question again, by design
        summary = question.lower().startswith(SUMMARY_CUE)
        asked_again = question in asked or any(cue in question.lower() for cue in told)
        if asked_again and not summary and not repeated and not after_check:
            repeated.append(f"{question[:60]!r} after {answer!r}")
        asked.add(question)
        after_check = any("red_flag_check" in (r.get("custom") or {}) for r in replies)
        if after_check:
            checked.append(previous)
        answer = answer_for(persona, replies)
        if answer is None or sent >= max_messages:
            stuck = question[:160] if answer is None else "too many messages"
            result = Result(persona.name, False, sent, repeated, {}, stuck, tuple(checked))
            return result, None
        sending = tapped(answer, replies)
        if sending is None:  # "tap:<title>" of a button the bot did not offer
            return Result(persona.name, False, sent, repeated, {}, answer, tuple(checked)), None
        replies = say(sending)
        previous = answer
        sent += 1
    return Result(persona.name, True, sent, repeated, {}, None, tuple(checked)), marker.get(
        "reference"
    )


def compare(stored: dict, expected: dict) -> dict[str, tuple[object, object]]:
    """Fields whose stored value differs from what the patient said (names ignore case)."""
    wrong = {}
    for section, fields in expected.items():
        for name, want in fields.items():
            got = (stored.get(section) or {}).get(name)
            same = (
                (got or "").lower() == (want or "").lower() if name == "full_name" else got == want
            )
            if not same:
                wrong[f"{section}.{name}"] = (want, got)
    return wrong


NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"


def fhir_problems(bundle: dict) -> list[str]:
    """What the FHIR library refuses in an exported bundle, each resource parsed as its own
    class; and a Patient identifier outside UK Core's NHS number system."""
    from fhir.resources import get_fhir_model_class
    from fhir.resources.bundle import Bundle

    problems = []
    try:
        Bundle.parse_obj(bundle)
        for entry in bundle["entry"]:
            get_fhir_model_class(entry["resource"]["resourceType"]).parse_obj(entry["resource"])
    except (ValueError, KeyError, TypeError) as error:
        problems.append(f"{type(error).__name__}: {str(error).splitlines()[0][:120]}")
    for entry in bundle.get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") == "Patient":
            systems = {identifier.get("system") for identifier in resource.get("identifier", [])}
            if systems - {NHS_NUMBER_SYSTEM}:
                problems.append(f"Patient identifier systems {sorted(systems)}")
    return problems


def run(stack: RunningStack, patients: list[Generated]) -> list[Result]:
    """Every patient through the running stack's REST channel, checked against the intake."""

    results = []
    for generated in patients:
        persona = generated.persona
        say = functools.partial(stack.say, f"varied-{persona.name}")
        result, reference = converse(say, persona, generated.told, asides=generated.asides)
        if reference:
            response = requests.get(
                stack.url("WEB_PORT", f"/api/v1/referrals/{reference}"),
                headers={"Authorization": f"Bearer {stack.token}"},
                timeout=10,
            )
            result.wrong = compare(response.json().get("referral", {}), generated.expected)
            bundle = requests.get(
                stack.url("WEB_PORT", f"/api/v1/referrals/{reference}/fhir"),
                headers={"Authorization": f"Bearer {stack.token}"},
                timeout=10,
            )
            result.fhir_errors = fhir_problems(bundle.json()) if bundle.ok else [bundle.text[:80]]
        results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    patients = generate(args.seed, args.patients)
    with tempfile.TemporaryDirectory(prefix="msk-varied-") as state:
        stack = RunningStack(Path(state))
        try:
            stack.wait_ready()
            results = run(stack, patients)
        finally:
            stack.stop()
    for generated, result in zip(patients, results, strict=True):
        ok = result.completed and not result.wrong and not result.repeated
        if not ok:
            print(f"{result.name}: completed={result.completed} messages={result.messages}")
            print(f"  opening: {generated.persona.opening}")
            for question in result.repeated:
                print(f"  asked again: {question}")
            for name, (want, got) in result.wrong.items():
                print(f"  {name}: said {want!r}, stored {got!r}")
            if result.stuck_on:
                print(f"  stuck on: {result.stuck_on}")
        for answer in result.checked:
            print(f"{result.name}: red-flag check question after {answer!r}")
    done = sum(r.completed for r in results)
    exact = sum(r.completed and not r.wrong for r in results)
    clean = sum(not r.repeated for r in results)
    print(f"completed {done}/{len(results)}; every checked field right {exact}/{len(results)};")
    print(f"no question asked twice {clean}/{len(results)}")
    exported = [r for r in results if r.fhir_errors is not None]
    valid = [r for r in exported if not r.fhir_errors]
    print(f"FHIR bundles the library accepts {len(valid)}/{len(exported)}")
    for result in exported:
        for problem in result.fhir_errors or []:
            print(f"{result.name}: FHIR: {problem}")


if __name__ == "__main__":
    main()
