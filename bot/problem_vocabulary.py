"""Match what a patient writes about the problem to the values the service records."""

from __future__ import annotations

import json
import re
from functools import cache

from bot.content_store import load
from bot.word_lists import normalised, phrase_pattern


@cache
def _patterns(section: str) -> list[tuple[re.Pattern, str]]:
    """(word pattern, id) pairs for a vocabulary section, longest phrase first."""
    vocabulary = load("problem_vocabulary")[section]
    pairs = []
    for key, entry in vocabulary.items():
        words = entry["words"] if isinstance(entry, dict) else entry
        pairs += [(word.lower(), key) for word in words]
    pairs.sort(key=lambda pair: -len(pair[0]))
    return [(re.compile(rf"(?<![a-z]){re.escape(word)}(?![a-z])"), key) for word, key in pairs]


def ids_named(section: str, lowered: str) -> set[str]:
    """Every id of a vocabulary section whose words appear in lower-cased text."""
    return {key for pattern, key in _patterns(section) if pattern.search(lowered)}


def ids_in_order(section: str, lowered: str) -> list[tuple[int, str]]:
    """(position, id) of each id of a vocabulary section named in lower-cased text, in the
    order the text names them (an id named twice, at its first place)."""
    first: dict[str, int] = {}
    for pattern, key in _patterns(section):
        found = pattern.search(lowered)
        if found and found.start() < first.get(key, len(lowered) + 1):
            first[key] = found.start()
    return sorted((place, key) for key, place in first.items())


def ids_named_apart(section: str, lowered: str) -> set[str]:
    """Every id named in lower-cased text by words of its own: a shorter phrase inside a
    longer one named ("shoulder" in "between my shoulder blades") does not count apart."""
    taken: list[tuple[int, int]] = []
    named: set[str] = set()
    for pattern, key in _patterns(section):  # longest phrase first
        for found in pattern.finditer(lowered):
            if any(found.start() < end and start < found.end() for start, end in taken):
                continue
            taken.append(found.span())
            named.add(key)
    return named


# "back" that is no body part: "the clocks went back", "back to work", "get back to".
_BACK_NOT_A_PART = re.compile(
    r"\b(?:went|go|goes|going|gone|came|come|comes|coming|get|gets|getting|got|put|bring|"
    r"brought|call|ring|rang|called|look|looking|looked|way|turn|turned|set|give|gave|hold|"
    r"held|write|wrote|move|moved|moving|fight|fought|cut|pay|paid|bounce|bounced|sent|send)"
    r"\s+back\b|\bback\s+(?:to|in|then|home|on|from|later|again|into)\b|"
    r"\b(?:days?|weeks?|months?|years?|while|bit)\s+back\b"
)


def areas_named(text: str) -> set[str]:
    """The body areas a message names ("my neck and shoulder": neck and shoulder); "back"
    only as a body part ("left knee, since the clocks went back" is the knee alone)."""
    lowered = _BACK_NOT_A_PART.sub(" ", normalised(text))
    return ids_named_apart("body_areas", lowered) - {"several"}


def area_named(text: str) -> str | None:
    """The body area an answer names: the one part named ("left knee, since the clocks went
    back" is the knee), or its id, label or "several" words; None when it names none."""
    named = areas_named(button_value(text) or text)
    return named.pop() if len(named) == 1 else match("body_areas", text)


_ONE_NOT_THE_OTHER = re.compile(
    r"\b(left|right)\b[^.]*?\b(?:not|rather than|instead of)\s+(?:the\s+|my\s+)?(left|right)\b",
    re.I,
)


def side_named(text: str) -> str | None:
    """left, right or both: "right and left" and "left hip, and the right one is starting
    too" are both."""
    said = button_value(text) or text
    one_not_the_other = _ONE_NOT_THE_OTHER.search(said)
    if one_not_the_other and one_not_the_other[1].lower() != one_not_the_other[2].lower():
        # "actually it's my left knee, not the right" (stored as both in a blind usability
        # test): the side before "not"
        return one_not_the_other[1].lower()
    sides = ids_named_apart("sides", normalised(said).replace("_", " "))
    if "both" in sides or {"left", "right"} <= sides:
        return "both"
    return next(iter(sides)) if len(sides) == 1 else None


_PAYLOAD = re.compile(r"^\s*/\w+(\{.*\})\s*$", re.S)


def button_value(text: str) -> str | None:
    """The value a tapped button carries ("/inform{"work_status": "at_risk"}" -> "at_risk"),
    or None when `text` is not a button payload with exactly one value."""
    found = _PAYLOAD.match(text or "")
    if not found:
        return None
    try:
        values = json.loads(found[1])
    except ValueError:
        return None
    if not isinstance(values, dict) or len(values) != 1:
        return None
    value = next(iter(values.values()))
    return value if isinstance(value, str) else None


def match(section: str, text: str) -> str | None:
    """The id whose word appears in `text` (ids themselves count too), or None."""
    text = button_value(text) or text
    lowered = normalised(text.replace("_", " "))
    for key in load("problem_vocabulary")[section]:
        if lowered == key.replace("_", " "):
            return key
    for pattern, key in _patterns(section):
        if pattern.search(lowered):
            return key
    return None


# Onset words that only mean something as the answer to "how did it start?".
_WEAK_ONSET = re.compile(r"\b(?:don'?t know|do not know|not sure)\b")


def _onset_from_words(lowered: str) -> str | None:
    """The one onset the words name; None when they name none, or both an injury and a
    gradual start ("it just came on, I think from lifting"): that is for the patient to say."""
    found = ids_named("onset", lowered)
    if any(words in lowered for words in load("problem_vocabulary")["onset_not_an_injury"]):
        found.discard("injury")
    return found.pop() if len(found) == 1 else None


def onset_mentioned(text: str) -> str | None:
    """How it started, said in passing ("hurt for 3 months since football"); None when the
    message says nothing clear about it or mentions both an injury and a gradual start."""
    return _onset_from_words(_WEAK_ONSET.sub(" ", " ".join(text.lower().split())))


def onset_answer(text: str) -> str | None:
    """The answer to "How did it start?": a tapped button, or typed words naming one onset.
    Words naming both are not guessed at, so the question is asked again with its buttons."""
    said = button_value(text) or text
    lowered = normalised(said.replace("_", " "))
    if lowered in load("problem_vocabulary")["onset"]:
        return lowered
    return _onset_from_words(lowered)


def body_area_label(area: str) -> str:
    entry = load("problem_vocabulary")["body_areas"].get(area)
    return area if entry is None else entry["label"]


def body_area_has_side(area: str) -> bool:
    """Whether to ask which side; an unknown area is asked about to be safe."""
    entry = load("problem_vocabulary")["body_areas"].get(area)
    return True if entry is None else bool(entry["has_side"])


def work_status_label(status: str) -> str:
    return load("problem_vocabulary")["work_status"][status]


# How it started, as the read-back says it ("started after an injury").
ONSET_WORDS = {"injury": "after an injury", "gradual": "gradually"}


# Voicemail and texts, as the read-back says them.
CONTACT_WORDS = {
    "both": "voicemail and texts are fine",
    "voicemail": "voicemail only",
    "text": "texts only",
    "neither": "no voicemail or texts",
}


def onset_label(onset: str | None) -> str:
    return ONSET_WORDS.get(onset or "", "not given")


def match_work_status(text: str) -> str | None:
    """A tapped button (its payload, id or title) or a typed sentence, to a work status id.

    The words are in content/problem_vocabulary.yml (work_status_words), longest phrase first.
    """
    said = button_value(text) or text
    statuses = load("problem_vocabulary")["work_status"]
    lowered = " ".join(said.lower().split())
    for status, label in statuses.items():
        if lowered in (status, status.replace("_", " "), label.lower()):
            return status
    whole = load("problem_vocabulary").get("work_status_whole_answers") or {}
    first = re.split(r"[,;:.!\u2013\u2014-]", lowered, maxsplit=1)[0]
    for status, answers in whole.items():
        # the whole answer, or its first part ("struggling, I'm an admin assistant")
        if lowered.strip(" .!") in answers or first.strip() in answers:
            return status
    found = match("work_status_words", said)
    if found == "working":
        # "he works in a shop but is off sick", "in work but struggling": the status that is
        # more than being employed wins over "works in"
        named = ids_named("work_status_words", normalised(said)) & {"off_work", "at_risk"}
        if len(named) == 1:
            return named.pop()
    return found


# Someone else just before a work status ("my husband is off work"): not the patient's.
_SOMEONE_ELSES = re.compile(
    r"\b(?:he|she|he's|she's|his|her|husband|wife|partner|son|daughter|mum|dad|mother|"
    r"father|boss|friend|they|they're)\b(?:\W+\w+){0,3}\W*$",
    re.I,
)


def work_status_in_passing(text: str, for_them: bool = False) -> str | None:
    """The work status in a message telling the story before the work question, from the
    words of content/problem_vocabulary.yml `work_status_in_passing` only; not when someone
    else's ("my husband is off work"), unless the message is written for that person. Of
    two, the one that is more than being employed."""
    lowered = normalised(text)
    named = set()
    for pattern, key in _patterns("work_status_in_passing"):
        for found in pattern.finditer(lowered):
            if for_them or not _SOMEONE_ELSES.search(lowered[: found.start()]):
                named.add(key)
    if len(named) > 1:
        named &= {"off_work", "at_risk"}
    return named.pop() if len(named) == 1 else None


# The end of a job named in a sentence: a clause break, or a word starting another thought
# ("a nurse on nights", "a warehouse operative struggling to do my job").
_JOB_END = re.compile(
    r"[,.;:!?()]|\s(?:but|and|though|although|so|because|cos|as|at|on|in|for|since|with|who|"
    r"which|that|working|struggling|finding|off|still|currently|now)\s",
    re.I,
)
MAX_JOB_WORDS = 5


# Words that open a part of an answer to "What about work?" that is not the job ("in work,
# but struggling", "working, thanks"), and words of hours rather than of a job.
_NOT_A_JOB_PART = re.compile(
    r"^(?:but|and|though|although|so|yes|yeah|no|i|i'm|im|its|it's|it is|still|just|mostly|"
    r"thanks|thank|cheers|please|lol|ok|okay|fine|good|great|alright|not bad)\b|"
    r"\b(?:time|hours|shifts?|days|nights|weeks?|"
    r"struggling|finding|hard|tough|difficult|hurts?|pain|painful|sore|manage|managing)\b",
    re.I,
)


# Words a job's name does not hold: a job is a few nouns ("IT support", "nurse", "delivery
# driver"), not "can't lift anything", "when I can", "from home" or "not sure how long for".
_NOT_IN_A_JOB = frozenset(
    ["can't", "cant", "cannot", "can", "not", "when", "how", "from", "home", "sure", "if", "i",
     "i'm", "me", "my", "it", "it's", "for", "long", "anything", "what", "where", "why", "only",
     "much", "more", "less", "still", "now", "then", "sometimes", "mostly", "though", "the",
     "of", "off", "on", "at", "to", "do", "does", "doing", "did", "lift", "work", "working"]
)  # fmt: skip


_WORKPLACE = re.compile(
    r"(?<![a-z])(?P<verb>work|works|working)(?:\s+(?:part|full)[\s-]time)?\s+(?P<prep>in|at)\s+"
    r"(?P<place>(?:an?\s+|the\s+)?"
    r"[a-z][a-z'&-]*(?:\s+[a-z][a-z'&-]*){0,3})",
    re.I,
)
_KIND_OF_JOB = re.compile(r"(?<![a-z'])(?P<kind>[a-z]+(?:\s+[a-z]+)?)\s+job\b", re.I)


def workplace_or_kind_of_job(text: str) -> str | None:
    """The job said as where the patient works ("I work in a shop" -> "works in a shop",
    "she works at the hospital") or as a kind of job ("an office job" -> "office job"), or
    None. Words after the place that start another thought end it ("in a shop but ...")."""
    vocabulary = load("problem_vocabulary")
    said = " ".join(text.replace("\u2019", "'").split())
    found = _WORKPLACE.search(said)
    if found and not said[: found.start()].lower().rstrip().endswith("used to"):
        place = _JOB_END.split(" " + found["place"] + " ", maxsplit=1)[0].strip()
        lowered = place.lower()
        bare = re.sub(r"^(?:an?|the)\s+", "", lowered)
        # a place: "a shop", "the hospital", a name ("Tesco", "IT"), or a word with no
        # article ("i work in warehouse", as people write in a second language), never "at
        # night", "in order to", "in a team"
        named_place = bare != lowered or place[:1].isupper() or len(place.split()) == 1
        if (
            bare
            and named_place
            and not any(
                lowered.startswith(word) or bare.startswith(word)
                for word in vocabulary["workplace_not_a_place"]
            )
            and not ids_named("work_status_words", lowered) - {"student"}
        ):
            return f"works {found['prep'].lower()} {place}"
    kind = _KIND_OF_JOB.search(said)
    if kind and len(said.split()) <= 6:
        words = kind["kind"].lower().split()
        skip = set(vocabulary["kind_of_job_not"])
        while words and words[0] in skip:
            words = words[1:]
        if words and not set(words) & skip:
            return " ".join(words) + " job"
    return None


def job_in_a_part_of_its_own(text: str) -> str | None:
    """The job given after the work status in a part of its own ("I'm in work, IT support",
    "working full time - nurse"), or None: the part must name no work status, be a few words
    with no number, and not be a courtesy or an hour ("in work, full time")."""
    parts = [part.strip(" .!") for part in re.split(r"\s*[,;:]\s*|\s+[-\u2013]\s+", text)]
    if len(parts) < 2:
        return None
    if not ids_named("work_status_words", parts[0].lower()):
        # the job first, then the status in a part of its own ("teacher, it's fine at work",
        # a blind usability test)
        later = any(ids_named("work_status_words", part.lower()) for part in parts[1:])
        return parts[0] if later and _a_job_part(parts[0], status_words=False) else None
    for part in parts[1:]:
        if _a_job_part(part):
            return part
    return None


def _a_job_part(part: str, status_words: bool = True) -> bool:
    """A part of an answer that can be a job: a few words, no number, no courtesy or hour,
    and (with `status_words`) no work status ("care worker" is one, and a job)."""
    lowered = part.lower()
    return not (
        not part
        or len(part.split()) > MAX_JOB_WORDS
        or re.search(r"\d", part)
        or _NOT_A_JOB_PART.search(lowered)
        or part.startswith("it ")  # "it hurts", but "IT support" is a job
        or lowered.startswith(("is ", "its ", "it's "))  # "i work in warehouse, is ok"
        or (status_words and ids_named("work_status_words", lowered))
        or {w.lower() for w in re.findall(r"[A-Za-z']+", part) if w != "IT"} & _NOT_IN_A_JOB
        or lowered in load("problem_vocabulary")["not_a_job"]
        or lowered in load("problem_vocabulary")["kind_of_job_not"]  # "busy, in work"
    )


def job_said(text: str, introducers_key: str = "job_introducers") -> str | None:
    """The job named in an answer to "What about work?" ("I work as a delivery driver but
    it's getting hard" -> "delivery driver"), in the patient's own case, or None:
    content/problem_vocabulary.yml `job_introducers` (each followed by "a" or "an") and
    `not_a_job`. Words that are a work status ("I'm a bit off work") are never a job. Before
    the work question, the stricter `job_introducers_in_passing` ("I'm a" is too often
    something else: "I'm a keen runner")."""
    if button_value(text) is not None or text.strip().startswith("/"):
        return None
    vocabulary = load("problem_vocabulary")
    said = " ".join(text.replace("\u2019", "'").split())
    introducers = sorted(vocabulary[introducers_key], key=len, reverse=True)
    pattern = "|".join(re.escape(word) for word in introducers)
    found = re.search(rf"(?<![a-z])(?:{pattern})\s+an?\s+(?P<job>.+)", said, re.I)
    if not found or said[: found.start()].lower().rstrip().endswith("used to"):
        return None  # "I used to work as a builder": not the job now
    job = _JOB_END.split(" " + found["job"] + " ", maxsplit=1)[0].strip()
    lowered = job.lower()
    if not job or len(job.split()) > MAX_JOB_WORDS:
        return None
    not_a_job = vocabulary["not_a_job"]
    if any(lowered == word or lowered.startswith(word + " ") for word in not_a_job):
        return None
    if ids_named("work_status_words", lowered) - {"working"}:
        return None  # "I'm a bit off work", "I'm a retired teacher"
    return job


CONTACT_PERMISSIONS = ("both", "voicemail", "text", "neither")


_CHANNELS = {"voicemail": "voicemail", "voicemails": "voicemail", "message": "voicemail",
             "messages": "voicemail", "answerphone": "voicemail", "text": "text",
             "texts": "text", "texting": "text", "sms": "text", "txt": "text", "txts": "text",
             "txting": "text", "voicemale": "voicemail"}  # fmt: skip
# Words for one channel said with another's ("text messages" are texts; an "answering
# machine" takes voicemail); a landline cannot take texts (a blind usability tester's "leave a
# message on the answering machine, but it is a landline so I cannot get text messages" was
# stored as both).
_SAID_AS = (
    (re.compile(r"\btext messages?\b|\bmessages? by text\b"), "texts"),
    (re.compile(r"\banswer(?:ing)?\s*(?:machine|phone)\b"), "voicemail"),
)
_LANDLINE = re.compile(r"\blandline\b|\bland line\b|\bhouse phone\b|\bhome phone\b")
_NEGATION = re.compile(
    # "can't read texts", "no good with texts" refuse them too (a blind usability test's
    # "a voicemail is fine but I can't read texts very well" was stored as both)
    r"\b(?:no|not|don'?t|do not|never|rather not|rather you didn'?t|can'?t read|cannot read|"
    r"can'?t get|cannot get|can'?t receive|cannot receive|can'?t do|cannot do|"
    r"can'?t hear|cannot hear|can'?t listen to|no good with|struggle with|"
    # "texts are better than voicemail": a preference, the other one not wanted
    r"better than|rather than|instead of)\b[^,.;]*?\b(" + "|".join(_CHANNELS) + r")\b",
    re.I,
)
# "voicemail yes, texts no" refuses texts (a blind usability test stored it as both); never
# "texts no problem"
_REFUSED_AFTER = re.compile(
    r"\b(" + "|".join(_CHANNELS) + r")\s*[:\-]?\s*(?:no|nope|nah|never)\b"
    r"(?!\s+(?:problem|problems|worries|bother|issue))",
    re.I,
)
_ALL = {"both", "either", "any", "all", "anything", "whichever"}
_PLAIN_YES = {"yes", "yeah", "yep", "ok", "okay", "fine", "sure", "please", "thats", "that's"}
_FILLER = {"is", "are", "thanks", "thank", "you", "that", "that's", "both", "all"}
_PLAIN_NO = re.compile(
    r"^(?:no|nope|nah|none|no thanks|no thank you|(?:i'?d )?rather not|please don'?t)[\s.!]*$"
)
# "texts are fine as well", "voicemail too", "also texts": the other way too (never "texts
# only, my hearing is not too good")
_AS_WELL = re.compile(
    r"\b(?:texts?|texting|voicemails?|messages?)\b(?:\s+(?:are|is|would be))?"
    r"(?:\s+(?:fine|ok|okay|good|alright|all right))?\s+(?:as well|too)\b"
    r"|\b(?:also|and)\s+(?:texts?|voicemails?)\b(?:\s+(?:are|is))?(?:\s+(?:fine|ok|okay))?\s*$",
    re.I,
)
_DONT_MIND = re.compile(r"\b(?:don'?t|do not) mind\b|\beither way\b|\bwhatever\b", re.I)


def parse_contact_permission(text: str) -> str | None:
    """both, voicemail, text or neither, from a button id or plain words.

    "either is fine" is both; "no voicemails please" alone is unclear about texts, so None.
    """
    lowered = text.lower().strip()
    if lowered in CONTACT_PERMISSIONS:
        return lowered
    for pattern, channel in _SAID_AS:
        lowered = pattern.sub(channel, lowered)
    words = set(re.findall(r"[a-z']+", lowered))
    said = {_CHANNELS[word] for word in words if word in _CHANNELS}
    refused = {_CHANNELS[word.lower()] for word in _NEGATION.findall(lowered)}
    refused |= {_CHANNELS[word.lower()] for word in _REFUSED_AFTER.findall(lowered)}
    if _LANDLINE.search(lowered) and "text" not in said - refused:
        refused.add("text")  # a landline takes no texts; a message is left, if allowed
    allowed = said - refused
    if "neither" in words or refused == {"voicemail", "text"}:
        return "neither"
    if _PLAIN_NO.match(lowered):
        return "neither"
    if not refused and (words & _ALL or allowed == {"voicemail", "text"}):
        return "both"
    if not refused and len(allowed) == 1 and "only" not in words and _AS_WELL.search(lowered):
        # "texts are fine as well": the other way too
        return "both"
    if len(allowed) == 1:
        return allowed.pop()
    if not said and (words <= _PLAIN_YES | _FILLER or _DONT_MIND.search(lowered)):
        return "both" if words else None
    return None


@cache
def _not_sure() -> re.Pattern:
    return phrase_pattern(load("problem_vocabulary")["not_sure"])


def says_not_sure(text: str) -> bool:
    """The patient cannot tell the answer ("I don't know, how would I tell?"):
    content/problem_vocabulary.yml `not_sure`."""
    return bool(_not_sure().search(normalised(text)))
