"""Rule-based red-flag detection over lemmas, with negation, third-party and hypothetical handling.

Deterministic: the same text and catalogue always give the same flags. Used by the Rasa NLU
component (every patient message) and by the action server.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from bot.red_flag_catalogue import LEVEL_RANK, Catalogue, load

SPACY_PIPELINE = Path(
    os.environ.get(
        "SPACY_PIPELINE", Path(__file__).resolve().parent.parent / "var" / "spacy" / "en_blank"
    )
)

# Word lists for the context rules (compared on lemmas).
NEGATION_CUES = (
    "no", "not", "never", "without", "nor", "none", "nothing", "neither", "deny",
    "free of", "absence of", "negative for", "no sign of", "no signs of",
)  # fmt: skip
PSEUDO_NEGATIONS = (
    "not sure", "not certain", "no longer", "not only", "no doubt", "not just", "not even",
    "never be able", "no idea",
    # Look like cues but are not: "no injury, just woke up numb", "lung cancer patient".
    "no injury", "no injuries", "no fall", "no accident", "no trauma", "no reason",
    "no obvious reason", "no apparent reason", "no known reason", "no obvious cause",
    "no cause", "no knock", "no bang", "not injured", "not hurt it", "didn't injure",
    "didn't hurt it", "didn't fall", "cancer patient", "ca patient", "oncology patient",
    "am a patient", "'m a patient", "as a patient", "patient of", "patient at",
    # Part of a description of the pain, not a denial: "doesn't ease whatever position".
    "doesn't ease", "does not ease", "won't ease", "not easing", "isn't easing",
    "doesn't let up", "doesn't settle", "won't settle", "doesn't help", "don't help",
    "doesn't matter", "does not matter", "nothing helps", "nothing eases", "nothing works",
    "doesn't go away", "won't go away", "doesn't get better", "not getting better",
    "doesn't stop", "never stops", "never eases", "never lets up",
)  # fmt: skip
THIRD_PARTY_CUES = (
    "mum", "mom", "mother", "dad", "father", "parent", "brother", "sister", "wife",
    "husband", "partner", "son", "daughter", "child", "kid", "friend", "grandma", "granny",
    "nan", "nana", "nanna", "grandad", "grandpa", "grandfather", "grandmother", "aunt",
    "auntie", "uncle", "cousin", "family", "neighbour", "colleague", "boyfriend",
    "girlfriend", "he", "she", "someone", "somebody", "people", "patient", "mate", "gran",
    "his", "her", "him", "aunty", "auntie", "nanny", "mam", "mammy", "mummy", "daddy",
    "stepmum", "stepdad", "step mum", "step dad", "hubby", "fiance", "fiancee", "missus",
    "niece", "nephew", "grandson", "granddaughter", "grandchild", "in law", "bf", "gf",
    "bestie", "flatmate", "housemate", "bro", "sis", "himself", "herself", "themselves",
    "workmate", "coworker", "co-worker", "co worker", "pal", "buddy", "someone at work",
    "lad at work", "bloke at work", "guy at work", "man at work", "woman at work",
    "lady at work", "girl at work", "chap at work", "fella at work", "one of the lads",
    "lad i work with", "bloke i work with", "guy i work with", "woman i work with",
)  # fmt: skip
HYPOTHETICAL_CUES = (
    "what if", "what happen if", "what would happen if", "what will happen if",
    "what could happen if", "what do i do if", "what should i do if", "in case",
    "watch out for", "look out for", "sign of", "symptom of", "warning sign",
    "tell me about", "how do i know if", "how would i know if", "if i ever", "if i start",
    "if i started", "if i get", "if i got", "if i develop", "if i do get",
)  # fmt: skip
# Words that make a question about symptoms in general ("could back pain ever be cancer",
# "are night sweats something to worry about", "when is a swollen calf serious"). Only used
# when the clause opens with a question word and says nothing about the patient.
GENERAL_QUESTION_CUES = (
    "ever", "something to worry about", "anything to worry about", "worth worry about",
    "something to be worried about", "something to worry", "a cause for concern",
    "cause for concern", "serious", "dangerous", "a bad sign", "mean",
)  # fmt: skip
GENERAL_QUESTION_OPENERS = {"when", "is", "are", "does", "do", "can", "could", "what", "how"}
TERMINATORS = ("but", "however", "although", "though", "except", "yet", "apart from", "whereas")
FIRST_PERSON = {"i", "me", "myself", "my"}
QUESTION_WORDS = {
    "be", "can", "could", "do", "what", "who", "how", "should", "would", "will", "why",
}  # fmt: skip
CLAUSE_PUNCT = {".", "!", "?", ";"}
NEGATION_WINDOW = 6
THIRD_PARTY_WINDOW = 8
HYPOTHETICAL_WINDOW = 8
CONTRACTION_PARTS = {"ca", "wo", "sha", "nt", "n't"}
# Text-speak written out before matching ("pins n needles", "even tho"); whole words only.
TEXT_SPEAK = {
    "n": "and", "tho": "though", "cos": "because", "coz": "because", "cuz": "because",
    "u": "you", "ur": "your", "wiv": "with", "meself": "myself", "mesen": "myself",
    "ppl": "people", "nuthin": "nothing", "nothin": "nothing",
}  # fmt: skip


@dataclass(frozen=True)
class RedFlagHit:
    """A red flag found in a message."""

    id: str
    level: str
    category: str
    text: str


@dataclass(frozen=True)
class _Mention:
    key: str
    start: int
    end: int


@cache
def _nlp(path: str = str(SPACY_PIPELINE)) -> Language:
    """The blank English pipeline with its lookup lemmatizer."""
    return spacy.load(path)


def _fix_contractions(doc: Doc) -> Doc:
    """Give "ca" (from can't) and friends their normal form as lemma, so can't = cannot."""
    for token in doc:
        if token.lower_ in CONTRACTION_PARTS:
            token.lemma_ = token.norm_
        elif not token.lemma_:
            token.lemma_ = token.lower_
    return doc


def _damerau_at_most_one(a: str, b: str) -> bool:
    """True when b is a at most one edit (insert, delete, change, swap) away."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) <= 1:
            return True
        i, j = diffs[0], diffs[-1]
        return len(diffs) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(short == long[:k] + long[k + 1 :] for k in range(len(long)))


class RedFlagDetector:
    """Finds the catalogue's red flags in free text."""

    def __init__(self, catalogue: Catalogue, nlp: Language | None = None) -> None:
        self.catalogue = catalogue
        self.nlp = nlp or _nlp()
        self.lemma_matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self.exact_matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.cue_matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self._add_patterns()
        self.vocabulary = self._spelling_vocabulary()
        self.known_words = self._known_words()
        self.word_forms = self.nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        self._corrected_word = lru_cache(maxsize=50_000)(self._correct_word)

    def _docs(self, phrases: tuple[str, ...] | list[str]) -> list[Doc]:
        return [_fix_contractions(doc) for doc in self.nlp.pipe(p.lower() for p in phrases)]

    def _add_patterns(self) -> None:
        for name, (phrases, exact) in self.catalogue.concepts.items():
            matcher = self.exact_matcher if exact else self.lemma_matcher
            matcher.add(f"concept:{name}", self._docs(phrases))
        for flag in self.catalogue.flags.values():
            for index, pattern in enumerate(flag.patterns):
                if "phrases" in pattern:
                    matcher = self.exact_matcher if pattern.get("exact") else self.lemma_matcher
                    matcher.add(f"flag:{flag.id}:{index}", self._docs(pattern["phrases"]))
        self.lemma_matcher.add("exclusion", self._docs(self.catalogue.exclusions))
        for key, cues in (
            ("negation", NEGATION_CUES),
            ("pseudo", PSEUDO_NEGATIONS),
            ("third", THIRD_PARTY_CUES),
            ("hypothetical", HYPOTHETICAL_CUES),
            ("general", GENERAL_QUESTION_CUES),
            ("terminator", TERMINATORS),
        ):
            self.cue_matcher.add(key, self._docs(cues))

    def _catalogue_phrases(self) -> list[str]:
        phrases = [p for phrases, _ in self.catalogue.concepts.values() for p in phrases]
        for flag in self.catalogue.flags.values():
            for pattern in flag.patterns:
                phrases += pattern.get("phrases", [])
        return phrases

    def _spelling_vocabulary(self) -> set[str]:
        # Whole words only: "couldn't" gives no "couldn" to correct "couldnt" towards.
        words = {w for p in self._catalogue_phrases() for w in re.findall(r"[a-z']+", p.lower())}
        return {word for word in words if len(word) >= 5 and "'" not in word}

    def _known_words(self) -> set[str]:
        lookups = self.nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        known = {str(value) for _, value in lookups.items()}
        return known | set(self.nlp.Defaults.stop_words) | self.vocabulary

    def correct_spelling(self, text: str) -> str:
        """Write out text-speak, restore dropped g's ("strugglin") and replace likely
        misspellings of catalogue words (one slip in a word of 5+ letters)."""
        text = re.sub(r"\s*&\s*", " and ", text)

        return re.sub(r"[a-z]+", lambda match: self._corrected_word(match.group(0)), text)

    def _correct_word(self, word: str) -> str:
        """One word of `correct_spelling` (kept per word in `_corrected_word`: profiled hot)."""
        if word in TEXT_SPEAK:
            return TEXT_SPEAK[word]
        if len(word) < 5 or word in self.known_words or word in self.nlp.tokenizer.rules:
            return word
        if word.endswith("in") and word + "g" in self.word_forms:
            return word + "g"
        candidates = sorted(w for w in self.vocabulary if _damerau_at_most_one(word, w))
        return candidates[0] if len(candidates) == 1 else word

    def parse(self, text: str) -> Doc:
        """Lower-case, spelling-corrected, lemmatised doc of a message."""
        cleaned = text.lower().replace("\u2019", "'").replace("\u2018", "'")
        return _fix_contractions(self.nlp(self.correct_spelling(cleaned)))

    def detect(self, text: str) -> list[RedFlagHit]:
        """Red flags asserted by the patient about themselves, most serious first."""
        if not text or not text.strip():
            return []
        doc = self.parse(text)
        mentions = self._asserted_mentions(doc)
        hits = []
        for flag in self.catalogue.flags.values():
            span = self._flag_span(flag.patterns, flag.id, mentions, stated_age(text))
            if span is not None:
                hits.append(
                    RedFlagHit(flag.id, flag.level, flag.category, doc[span[0] : span[1]].text)
                )
        return sorted(hits, key=lambda hit: -LEVEL_RANK[hit.level])

    def _asserted_mentions(self, doc: Doc) -> list[_Mention]:
        names = self.nlp.vocab.strings
        raw = [
            _Mention(names[key], start, end)
            for key, start, end in [*self.lemma_matcher(doc), *self.exact_matcher(doc)]
        ]
        exclusions = [m for m in raw if m.key == "exclusion"]
        # A cue inside a symptom phrase ("can't" in "can't feel") is part of the symptom.
        symptoms = [m for m in raw if m.key != "exclusion"]
        cues = [
            _Mention(names[key], s, e)
            for key, s, e in self.cue_matcher(doc)
            if not any(m.start <= s and e <= m.end for m in symptoms)
        ]
        return [
            mention
            for mention in raw
            if mention.key != "exclusion"
            and not any(x.start < mention.end and mention.start < x.end for x in exclusions)
            and self._asserted(doc, mention, cues)
        ]

    def _asserted(self, doc: Doc, mention: _Mention, cues: list[_Mention]) -> bool:
        """False when the mention is negated, about someone else, or hypothetical."""
        if self._general_question(doc, mention, cues):
            return False
        pseudo = [c for c in cues if c.key == "pseudo"]
        for cue in cues:
            if cue.end > mention.start or cue.key in ("pseudo", "terminator"):
                continue
            if any(p.start <= cue.start and cue.end <= p.end for p in pseudo):
                continue
            if self._boundary_between(doc, cue.end, mention.start, cues):
                continue
            gap = mention.start - cue.end
            between = {token.lower_ for token in doc[cue.end : mention.start]}
            if (
                cue.key == "negation"
                and gap <= NEGATION_WINDOW
                and not between & (FIRST_PERSON - {"my"})
            ):
                return False
            if cue.key == "third" and gap <= THIRD_PARTY_WINDOW and not between & FIRST_PERSON:
                return False
            if cue.key == "hypothetical" and gap <= HYPOTHETICAL_WINDOW:
                return False
        return True

    @staticmethod
    def _general_question(doc: Doc, mention: _Mention, cues: list[_Mention]) -> bool:
        """A question not about the patient: "is chest pain a sign of something?", or,
        question mark or not, "could back pain ever be cancer", "when is a swollen calf
        something to worry about"."""
        start = mention.start
        while start > 0 and doc[start - 1].text not in CLAUSE_PUNCT:
            start -= 1
        end = mention.end
        while end < len(doc) and doc[end].text not in CLAUSE_PUNCT:
            end += 1
        words = {token.lower_ for token in doc[start:end]}
        if words & (FIRST_PERSON | {"'m", "'ve"}):
            return False
        if end < len(doc) and doc[end].text == "?" and doc[start].lemma_ in QUESTION_WORDS:
            return True
        opens_as_question = doc[start].lower_ in GENERAL_QUESTION_OPENERS | QUESTION_WORDS
        if doc[start].lower_ == "when":  # "when is ...", not "when walking my legs ..."
            opens_as_question = start + 1 < end and doc[start + 1].lemma_ in QUESTION_WORDS
        general = any(c.key == "general" and start <= c.start and c.end <= end for c in cues)
        return opens_as_question and general

    @staticmethod
    def _boundary_between(doc: Doc, start: int, end: int, cues: list[_Mention]) -> bool:
        """A clause ends between two positions (full stop, question mark, "but", ...)."""
        if any(token.text in CLAUSE_PUNCT for token in doc[start:end]):
            return True
        return any(c.key == "terminator" and start <= c.start < end for c in cues)

    def _flag_span(
        self,
        patterns: tuple[dict, ...],
        flag_id: str,
        mentions: list[_Mention],
        age: int | None,
    ) -> tuple[int, int] | None:
        """The span that satisfies one of the flag's patterns, if any."""
        for index, pattern in enumerate(patterns):
            if "phrases" in pattern:
                for mention in mentions:
                    if mention.key == f"flag:{flag_id}:{index}":
                        return mention.start, mention.end
                continue
            if "stated_age_outside" in pattern and not _age_outside(
                age, pattern["stated_age_outside"]
            ):
                continue
            span = self._together(pattern["together"], pattern["within"], mentions)
            if span is not None:
                return span
        return None

    @staticmethod
    def _together(
        concepts: list[str], within: int, mentions: list[_Mention]
    ) -> tuple[int, int] | None:
        """One mention of every concept, distinct words, all within `within` words."""
        groups = [[m for m in mentions if m.key == f"concept:{name}"] for name in concepts]
        if not all(groups):
            return None
        if len(groups) == 1:
            return groups[0][0].start, groups[0][0].end
        first, second = groups[0], groups[1:]
        for anchor in first:
            chosen = [anchor]
            for group in second:
                near = [
                    m
                    for m in group
                    if (m.start, m.end) != (anchor.start, anchor.end)
                    and max(m.start, anchor.start) - min(m.end, anchor.end) <= within
                ]
                if not near:
                    break
                chosen.append(near[0])
            else:
                return min(m.start for m in chosen), max(m.end for m in chosen)
        return None


AGE_PATTERNS = (
    re.compile(r"\b(?:i'?m|i am|aged?)\s+(\d{1,3})\b(?!\s*(?:kg|stone|st|lb|%|out of|/))"),
    re.compile(r"\b(\d{1,3})\s*(?:years? old|year-old|yrs? old|yo)\b"),
)
# "I'm over 60", "over 70," at the start of a message: at least one more than the number.
OVER_AGE = re.compile(
    r"(?:^|\b(?:i'?m|i am|aged?)\s+)(?:over|over the age of)\s+(\d{2})\b"
    r"(?!\s*(?:kg|stone|st|lb|%|out of|/|min|hour|hr|day|week|month|year|time|mile|m\b))"
)
# "in my 60s", "in my sixties", "in my late teens": the middle of the decade.
DECADES = {
    "teens": 15, "twenties": 25, "thirties": 35, "forties": 45, "fifties": 55,
    "sixties": 65, "seventies": 75, "eighties": 85, "nineties": 95,
}  # fmt: skip
IN_MY_DECADE = re.compile(
    r"\bin my (?:early |mid |late )?(?:(\d)0'?s|(" + "|".join(DECADES) + r"))\b"
)


def stated_age(text: str) -> int | None:
    """An age the patient states about themselves ("I'm 63", "72 years old", "I'm over
    60", "in my seventies"), if any."""
    lowered = text.lower().strip()
    for pattern in AGE_PATTERNS:
        match = pattern.search(lowered)
        if match and 0 < int(match.group(1)) < 120:
            return int(match.group(1))
    match = OVER_AGE.search(lowered)
    if match:
        return int(match.group(1)) + 1
    match = IN_MY_DECADE.search(lowered)
    if match:
        return int(match.group(1)) * 10 + 5 if match.group(1) else DECADES[match.group(2)]
    return None


def _age_outside(age: int | None, bounds: list[int]) -> bool:
    return age is not None and (age < bounds[0] or age > bounds[1])


@cache
def default_detector() -> RedFlagDetector:
    """The detector over the catalogue in content/ (loaded once per process)."""
    return RedFlagDetector(load())
