"""Rule-based red-flag detection over lemmas, with negation, third-party and hypothetical handling.

Deterministic: the same text and catalogue always give the same flags. Used by the Rasa NLU
component (every patient message) and by the action server.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from bot.paths import VAR
from bot.red_flag_catalogue import LEVEL_RANK, RedFlag, RedFlagCatalogue, load
from bot.red_flag_context import ContextRules
from bot.red_flag_context import load as load_context
from bot.referral_fields import age_on, date_of_birth_said_in_passing

SPACY_PIPELINE = Path(os.environ.get("SPACY_PIPELINE", VAR / "spacy" / "en_blank"))

FIRST_PERSON = {"i", "me", "myself", "my"}
ADVERBS = {"just", "only", "also", "really", "still", "now"}
# "'s" is "is" or "has" before these (not a possessive, "my nan's vision")
S_PRESENT_NEXT = {"been", "got", "gone", "having", "not", "in", "just", "still", "now", "very"}
# Levels a message about someone else, happening now, is answered at.
SOMEONE_ELSE_LEVELS = ("emergency", "urgent")
PRESENT_WORDS = {
    "is", "are", "'re", "has", "can't", "cant", "cannot", "won't", "wont", "isn't",
    "doesn't", "says", "keeps", "now",
    # "won't"/"can't" as the tokenizer splits them ("wo" "n't", "ca" "n't"): a carer typing
    # about someone with them now ("he won't wake up properly")
    "wo", "ca", "today", "tonight", "currently",
}  # fmt: skip
# A present tense that says a mention is happening now, not a denial ("isn't a problem").
NOW_VERBS = {"is", "are", "'re", "has", "keeps", "feels", "looks"}
OWN = {"my", "mine", "myself"}  # before a body part, the writer's own problem
# After "I": the writer speaks of their own body or health ("I have", "I'm in agony").
COMPLAINT_VERBS = {
    "have", "'ve", "ve", "got", "get", "had", "hurt", "ache", "feel", "felt",
    "can't", "cant", "cannot", "keep", "suffer", "fell", "broke", "injured", "twisted",
}  # fmt: skip
QUESTION_WORDS = {
    "be", "can", "could", "do", "what", "who", "how", "should", "would", "will", "why",
}  # fmt: skip
GENERAL_QUESTION_OPENERS = {"when", "is", "are", "does", "do", "can", "could", "what", "how"}
NOT_WORDS = {"not", "n't", "never", "no"}
CLAUSE_PUNCT = {".", "!", "?", ";"}
SENTENCE_PUNCT = {".", "!", "?"}
CONTRACTION_PARTS = {"ca", "wo", "sha", "nt", "n't"}
# Lemmas the lookup table gets wrong for patients' words ("does" is not the plural of "doe").
LEMMA_FIXES = {"does": "do", "doesnt": "do"}
# Cue kinds of the context rules (content/red_flag_context.yml) and the lists they come from.
CUE_LISTS = {
    "negation": "negations",
    "following": "following_negations",
    "fine": "following_fine",
    "pseudo": "not_negations",
    "third": "other_person",
    "hypothetical": "hypothetical",
    "come_true": "come_true",
    "general": "general_question",
    "terminator": "terminators",
    "resolved": "resolved",
    "on_purpose": "on_purpose",
    "unintended": "not_on_purpose",
    "historical": "historical",
    "ongoing": "ongoing",
    "behalf": "on_behalf",
    "ruled_out": "ruled_out_before",
}
# Cue kinds that never say a symptom is not the patient's own now. A denial somewhere in the
# message ("nothing shifts it", "no injury", "never had before") says nothing of whose or
# when: a denial of the learned guess's own words is the rules' `held_back`. Measured on
# the corpus's cross-validated probabilities before adopting (2026-12-08): positives at
# their level 14,168 -> 14,337 of 15,042; negatives clear 8,353 -> 8,310 of 9,314 (40 more
# asked, 3 more escalated).
NOT_CONTEXT_CUES = {
    "pseudo", "terminator", "general", "ongoing", "fine", "behalf", "unintended", "come_true",
    "negation",
}  # fmt: skip
COMPANY_DETERMINERS = {"my", "the", "our", "a", "me"}
# Cue lists matched on the words as written, not their lemmas (see exact_cue_matcher).
EXACT_CUES = {"resolved", "ruled_out"}
# Lists of a cue's phrases matched as written, beside its root-matched list: "gets" is now,
# but by root it is also "got", a past ("got a stent 3 years ago").
AS_WRITTEN = {
    "ongoing": "ongoing_as_written",
    "following_negations": "following_negations_as_written",
}
# Other-person cues that are not nouns: no "-s" form is added for them ("mums", "nans").
PRONOUN_CUES = {
    "he", "she", "his", "her", "him", "himself", "herself", "themselves", "someone",
    "somebody", "people", "family",
}  # fmt: skip
# The catalogue concept "on purpose", "deliberately" (self-harm); never part of a symptom.
DELIBERATELY = "concept:deliberately"
CANT_SENSE = "concept:cant_sense"  # "can't feel", "no feeling": a loss, not a denial
MOOD_FLAG = "flag:mental_health_crisis:"
# Why a mention is not taken as the patient's own symptom now (None: it is).
DENIED = "denied"  # a plain denial next to the symptom, or "ruled out" after it
DENIED_AT_A_DISTANCE = "denied_at_a_distance"  # a negation with other words in between
OTHER_PERSON = "other_person"
HYPOTHETICAL = "hypothetical"
RESOLVED = "resolved"
# recovered, then brought back into the present in the same sentence ("it settled but it's back
# now", or "... been fine, now it's my knee"): an emergency gets its check question
RETURNED = "returned"
# a what-if or warning the patient then says has come true ("... well I've got it now"): an
# emergency flag gets its check question; never counted as a symptom or as history by itself
COME_TRUE = "come_true"
ON_PURPOSE = "on_purpose"
# meant, and past and over too ("had GCA in 2018, nothing since, hip pain from running"): counts
# only for a flag that neither rules out
ON_PURPOSE_PAST = "on_purpose_past"


# The matcher key of the catalogue's `explained_away` phrases.
EXPLAINED = "explained_away"
# "I were", "it were": "was" in Midlands and northern speech ("it were clear", "when I were
# poorly"), so the context rules read the past and the results as they do "was".
_WAS = re.compile(r"\b(i|he|she|it|that)\s+were\b")
# "I haven't been able to pass water", "not able to wee": read as the catalogue's "can't"
# (a blind hold-out's urinary retention went unflagged)
_NOT_ABLE = re.compile(
    r"\b(?:(?:have|has|had)\s*n't|(?:have|has|had|'ve|'s|'d)\s+not|not)\s+been\s+able\s+to\b"
    r"|\bnot\s+able\s+to\b"
)
# Words after "my" in phrases that also follow "me" as an object in everyday speech ("he left
# me last week", "it took me own way"): "me" before them is never read as "my".
_NOT_AFTER_POSSESSIVE_ME = frozenset(
    {"last", "own", "normal", "usual", "regular", "things", "words", "sentences", "letters"}
)


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
    """Give "ca" (from can't) and friends their normal form as lemma, so can't = cannot, and
    mend the lemmas in LEMMA_FIXES (so "doesn't want to live" = "don't want to live")."""
    for token in doc:
        if token.lower_ in CONTRACTION_PARTS:
            token.lemma_ = token.norm_
        elif token.lower_ in LEMMA_FIXES:
            token.lemma_ = LEMMA_FIXES[token.lower_]
        elif not token.lemma_:
            token.lemma_ = token.lower_
    return doc


def _in_company(doc: Doc, start: int, behalf_ends: set[int]) -> bool:
    """The person is company, not whose symptom it is: "when I'm with my partner", "out
    with the kids". (A pronoun after it, "with my dad when he fell", is a cue of its own.)
    Not when the "with" ends an on-behalf cue ("completing this referral with my mum")."""
    i = start - 1
    if i >= 0 and doc[i].lower_ in COMPANY_DETERMINERS:
        i -= 1
    return i >= 0 and doc[i].lower_ == "with" and i + 1 not in behalf_ends


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


@dataclass(frozen=True)
class Detection:
    """What the rules found in one message.

    `hits`: red flags the patient asserts about themselves, most serious first.
    `unsure`: emergency flags that only a negation at a distance kept out of `hits` (for
    example "no, but ... leaking"), and flags found only by words that ask first
    (`ask_first` in the catalogue: "dropping things" is often carpal tunnel): the assistant
    asks a check question rather than stay silent, most serious first.
    """

    hits: list[RedFlagHit]
    unsure: list[RedFlagHit]
    # The message has a cue that it is not the patient's own symptom now (a denial, someone
    # else, a question or what-if, resolved, on purpose) outside any inability phrase.
    context_cues: bool = False
    # Flags whose words are there but plainly not the patient's own now: denied next to the
    # symptom, someone else's, a what-if or question, past and over, or on purpose.
    held_back: frozenset[str] = frozenset()
    # Flags whose `learned_asks` words are there ("I've taken 2 paracetamol"): words that are
    # the flag only sometimes and never raise or ask by themselves; the learned detector's
    # guess of that flag from them is asked, not raised.
    doubted: frozenset[str] = frozenset()


# Third person to first, for a message written for the patient ("she's wet herself").
_AS_THE_PATIENT = (
    (re.compile(r"\b(?:she|he)(?:'s| is) (?=\d)", re.I), "I'm "),
    (re.compile(r"\b(?:she|he) is\b", re.I), "I am"),
    (re.compile(r"\b(?:she|he)(?:'s| has)\b", re.I), "I've"),
    (re.compile(r"\b(?:she|he) was\b", re.I), "I was"),
    (re.compile(r"\b(?:herself|himself|themselves)\b", re.I), "myself"),
    (re.compile(r"\b(?:she|he|they)\b", re.I), "I"),
    (re.compile(r"\b(?:her|his|their)\b", re.I), "my"),
    (re.compile(r"\b(?:him|them)\b", re.I), "me"),
)


def as_the_patient(text: str) -> str:
    """The message in the patient's own words: she, her, herself to I, my, myself."""
    for pattern, first_person in _AS_THE_PATIENT:
        text = pattern.sub(first_person, text)
    return text


def _is_or_has(doc: Doc, i: int) -> bool:
    """ "'s" meaning is or has ("she's been", "he's got"), not a possessive ("nan's vision");
    after he, she or it, also before a verb in -ing ("shes gasping", typed without the
    apostrophe); and "have" before "gone", "been"... ("her lips have gone blue"), not "had to
    have surgery" or "have a sore wrist"."""
    following = doc[i + 1].lower_ if i + 1 < len(doc) else ""
    before = doc[i - 1].lower_ if i > 0 else ""
    if doc[i].lower_ == "have":
        return following in S_PRESENT_NEXT
    if doc[i].lower_ in ("'s", "s") and before in ("he", "she", "it"):
        return following in S_PRESENT_NEXT or following.endswith("ing")
    return doc[i].lower_ == "'s" and following in S_PRESENT_NEXT


def _a_named_condition(doc: Doc, mention: _Mention, names: frozenset[str]) -> bool:
    """The mention is only a condition's name ("my mum has cauda equina"), not said to be
    happening now ("he's having a stroke")."""
    if doc[mention.start : mention.end].text.lower() not in names:
        return False
    return "having" not in {
        token.lower_ for token in doc[max(mention.start - 2, 0) : mention.start]
    }


def _ends_a_clause(doc: Doc, i: int) -> bool:
    """Position `i` ends the message or a clause, allowing a "now", "too" or "already" first:
    "... well I've got it now." but not "and now I have pain in my hip"."""
    while i < len(doc) and doc[i].lower_ in ("now", "too", "already", "today", "again"):
        i += 1
    return i >= len(doc) or doc[i].is_punct or doc[i].lower_ in ("and", "but", "so")


def _said_of_a_mood(mention: _Mention, symptoms: list[_Mention]) -> bool:
    """A "can't feel" phrase followed at once by a mental-health crisis word."""
    return mention.key == CANT_SENSE and any(
        s.start == mention.end and s.key.startswith(MOOD_FLAG) for s in symptoms
    )


class RedFlagDetector:
    """Finds the catalogue's red flags in free text."""

    def __init__(
        self,
        catalogue: RedFlagCatalogue,
        nlp: Language | None = None,
        context: ContextRules | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.context = context or load_context()
        self.nlp = nlp or _nlp()
        self.lemma_matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self.exact_matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.cue_matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        # Cues whose tense is their meaning, matched word for word: "gone now" says it has
        # gone, its lemma "go now" would also match "going now" ("it takes ages to get going
        # now", "the numbness is going now"), which is a symptom still there.
        self.exact_cue_matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self._add_patterns()
        self.fillers = {
            doc[0].lemma_ for doc in self._docs(self.context["direct_negation_fillers"]) if doc
        }
        self.on_purpose_flags = set(self.context["on_purpose_categories"])
        self.vocabulary = self._spelling_vocabulary()
        self.known_words = self._known_words()
        self.word_forms = self.nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        self._corrected_word = lru_cache(maxsize=50_000)(self._correct_word)
        self._me_as_my = self._possessive_me()

    def _possessive_me(self) -> re.Pattern[str]:
        """ "me" meaning "my" ("me bits feel numb", "me wife's face has dropped"): before a
        word that follows "my" in the catalogue's or the context rules' phrases, and never
        follows "me" in them ("wakes me up" stays)."""
        phrases = [
            *(p for names in self.catalogue.concepts.values() for p in names[0]),
            *(
                p
                for f in self.catalogue.flags.values()
                for pt in f.patterns
                for p in pt.get("phrases", ())
            ),
            *(p for name in CUE_LISTS.values() for p in self.context[name]),
            *(p for name in AS_WRITTEN.values() for p in self.context[name]),
        ]
        text = "\n".join(phrases).lower()
        after_my = set(re.findall(r"\bmy ([a-z']+)", text))
        after_me = set(re.findall(r"\bme ([a-z']+)", text))
        words = sorted((after_my - after_me - _NOT_AFTER_POSSESSIVE_ME), key=len, reverse=True)
        return re.compile(rf"\bme (?=(?:{'|'.join(map(re.escape, words))})\b)")

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
        if self.catalogue.explained_away:
            self.lemma_matcher.add(EXPLAINED, self._docs(self.catalogue.explained_away))
        for key, name in CUE_LISTS.items():
            phrases = list(self.context[name])
            if key == "third":  # "my nans hip", "me mums legs": a possessive without its '
                phrases += [p + "s" for p in phrases if " " not in p and p not in PRONOUN_CUES]
            matcher = self.exact_cue_matcher if key in EXACT_CUES else self.cue_matcher
            matcher.add(key, self._docs(phrases))
            if name in AS_WRITTEN:
                self.exact_cue_matcher.add(key, self._docs(self.context[AS_WRITTEN[name]]))

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

        # a word with its apostrophe is one word: "couldn't" is not "couldn" (a slip for
        # "could") and "t"; a contraction or possessive is never corrected
        return re.sub(r"[a-z]+(?:'[a-z]+)?", lambda m: self._corrected_word(m.group(0)), text)

    def _correct_word(self, word: str) -> str:
        """One word of `correct_spelling` (kept per word in `_corrected_word`: profiled hot)."""
        if word in self.context.text_speak:
            return self.context.text_speak[word]
        if "'" in word or word in self.context["never_corrected"]:
            return word
        if len(word) < 5 or word in self.known_words or word in self.nlp.tokenizer.rules:
            return word
        if word.endswith("in") and word + "g" in self.word_forms:
            return word + "g"
        candidates = sorted(w for w in self.vocabulary if _damerau_at_most_one(word, w))
        if word in self.word_forms:
            # a real word form is no slip for another word form ("glasses" for "glassed"), nor
            # for its own root ("settled" for "settle"); "overdoes" still reads "overdose"
            own_root = self.word_forms[word]
            candidates = [w for w in candidates if w not in self.word_forms and w != own_root]
        return candidates[0] if len(candidates) == 1 else word

    def parse(self, text: str) -> Doc:
        """Lower-case, spelling-corrected, lemmatised doc of a message, with Midlands and
        northern speech read as the catalogue's words ("me back", "it were clear")."""
        cleaned = text.lower().replace("\u2019", "'").replace("\u2018", "'")
        cleaned = _WAS.sub(r"\1 was", self._me_as_my.sub("my ", cleaned))
        cleaned = _NOT_ABLE.sub(lambda m: " can't" if m[0][0] == "'" else "can't", cleaned)
        return _fix_contractions(self.nlp(self.correct_spelling(cleaned)))

    def detect(self, text: str) -> list[RedFlagHit]:
        """Red flags asserted by the patient about themselves, most serious first."""
        return self.analyse(text).hits

    def analyse(self, text: str) -> Detection:
        """The flags asserted, and the emergency flags a distant negation alone held back."""
        if not text or not text.strip():
            return Detection([], [])
        doc = self.parse(text)
        all_cues = self._cues(doc)
        age = stated_age(text)
        if self._for_the_patient(doc, all_cues):
            # "I'm filling this in for my mum, she can't feel her bum": she is the patient, and
            # her symptoms are read as the patient's own words ("I can't feel my bum")
            return self._analyse(*self._as_the_patient(text), age)
        found = self._analyse(doc, all_cues, age)
        if self._about_someone_else(doc, all_cues) and self._happening_now(doc, all_cues):
            # A message about nobody but someone else, happening now ("my nan's vision has
            # gone dark in one eye"): whoever types it, that person needs the advice today.
            # Not for what only counts as history of the patient's own (a relative's cancer).
            names = frozenset(self.context["condition_names"])
            theirs = self._analyse(*self._as_the_patient(text), age, without_names=names)
            own = {hit.id for hit in found.hits}
            extra = [
                hit
                for hit in theirs.hits
                if hit.level in SOMEONE_ELSE_LEVELS
                and hit.category not in self.context["own_history_categories"]
                and hit.id not in own
            ]
            unsure_extra = [
                hit
                for hit in theirs.unsure
                if hit.level in SOMEONE_ELSE_LEVELS
                and hit.category not in self.context["own_history_categories"]
                and hit.id not in own | {u.id for u in found.unsure}
            ]
            if unsure_extra:
                found = replace(
                    found,
                    unsure=sorted(
                        [*found.unsure, *unsure_extra], key=lambda hit: -LEVEL_RANK[hit.level]
                    ),
                    held_back=found.held_back - {hit.id for hit in unsure_extra},
                )
            if extra:
                hits = sorted([*found.hits, *extra], key=lambda hit: -LEVEL_RANK[hit.level])
                held = found.held_back - {hit.id for hit in extra}
                found = replace(found, hits=hits, held_back=held)
        return found

    def _as_the_patient(self, text: str) -> tuple[Doc, list[_Mention]]:
        doc = self.parse(as_the_patient(text))
        return doc, [c for c in self._cues(doc) if c.key != "third"]

    def _analyse(
        self,
        doc: Doc,
        all_cues: list[_Mention],
        age: int | None,
        without_names: frozenset[str] = frozenset(),
    ) -> Detection:
        found, excluded = self._mentions(doc, all_cues)
        mentions = [
            (mention, reason)
            for mention, reason in found
            if not _a_named_condition(doc, mention, without_names)
        ]
        cues = self._context_cues(all_cues)
        hits, unsure, held_back, doubted = [], [], set(), set()
        # When every mention is asserted or only distantly denied, nothing can be held back.
        asking = (DENIED_AT_A_DISTANCE, RETURNED, COME_TRUE)
        any_plainly_not_own = any(reason not in (None, *asking) for _, reason in mentions)
        # What is by nature in the past still counts when said with a past time ("the new knee
        # they did last year has gone hot"): a concept named in `history_still_counts`.
        lasting = {f"concept:{name}" for name in self.context["history_still_counts"]}
        for flag in self.catalogue.flags.values():
            counted = {None}
            if {flag.id, flag.category} & set(self.context["history_still_counts"]):
                counted |= {RESOLVED, RETURNED}
            if not {flag.id, flag.category} & self.on_purpose_flags:
                counted.add(ON_PURPOSE)
            if {ON_PURPOSE, RESOLVED} <= counted:
                counted.add(ON_PURPOSE_PAST)
            asserted = [
                m
                for m, reason in mentions
                if reason in counted
                or (reason == RESOLVED and m.key in lasting)
                or (reason == ON_PURPOSE_PAST and ON_PURPOSE in counted and m.key in lasting)
            ]
            if self._flag_span(flag.patterns, flag.id, asserted, age, doc, all_cues, doubt=True):
                doubted.add(flag.id)
            span = self._flag_span(flag.patterns, flag.id, asserted, age, doc, all_cues)
            if span is not None:
                hits.append(self._hit(flag, doc, span))
                continue
            if excluded and self._flag_span(
                flag.patterns, flag.id, [*asserted, *excluded], age, doc, all_cues
            ):
                # the flag's words are there but explained away ("my foot went numb from
                # sitting on it"): the learned detector's guess of it,
                # from the same words, is asked, not raised (a blind usability tester's
                # referral was stopped as cauda equina)
                doubted.add(flag.id)
            span = self._flag_span(
                flag.patterns, flag.id, asserted, age, doc, all_cues, asking=True
            )
            if span is not None:
                # words that are this flag only sometimes ("dropping things" is often carpal
                # tunnel): one check question, yes escalates at the flag's level
                unsure.append(self._hit(flag, doc, span))
                continue
            if flag.level == "emergency":
                maybe = [m for m, reason in mentions if reason in counted | set(asking)]
                span = self._flag_span(flag.patterns, flag.id, maybe, age, doc, all_cues)
                if span is not None:
                    unsure.append(self._hit(flag, doc, span))
                    continue
            if any_plainly_not_own and self._flag_span(
                flag.patterns, flag.id, [m for m, _ in mentions], age, doc, all_cues
            ):
                # the flag's words are there, none of them asserted, some plainly not the
                # patient's own now ("no leaking and no numbness down below": "down below"
                # only denied at a distance): the learned guess of it steps down. Measured on
                # the corpus's cross-validated probabilities before adopting (2026-12-08):
                # negatives clear 8,310 -> 8,324 of 9,314 (7 fewer escalated); positives at
                # their level 14,348 -> 14,346 of 15,042 (both still asked)
                held_back.add(flag.id)
        hits.sort(key=lambda hit: -LEVEL_RANK[hit.level])
        unsure.sort(key=lambda hit: -LEVEL_RANK[hit.level])
        return Detection(hits, unsure, cues, frozenset(held_back), frozenset(doubted))

    def _cues(self, doc: Doc) -> list[_Mention]:
        """Every context cue in the message (matched once per message)."""
        names = self.nlp.vocab.strings
        found = [*self.cue_matcher(doc), *self.exact_cue_matcher(doc)]
        # "completing this referral with my mum": that "with" says for whom, not company
        behalf_ends = {e for key, _, e in found if names[key] == "behalf"}
        return [
            _Mention(names[key], s, e)
            for key, s, e in sorted(found, key=lambda m: m[1:])
            if not (names[key] == "third" and _in_company(doc, s, behalf_ends))
        ]

    @staticmethod
    def _for_the_patient(doc: Doc, cues: list[_Mention]) -> bool:
        """The message is written for the patient by someone else: a person follows the
        on-behalf words within three words ("filling this in for my husband", "completing
        this with him"), not a body part ("doing this for my wrist")."""
        people = [c.start for c in cues if c.key == "third"]
        return any(
            cue.key == "behalf" and any(cue.end <= start < cue.end + 3 for start in people)
            for cue in cues
        )

    @staticmethod
    def _about_someone_else(doc: Doc, cues: list[_Mention]) -> bool:
        """The message speaks of another person and of nothing of the writer's own: no "my"
        before anything but a person ("my dad's face", "my 17 yo son", not "my wrist"), and
        no "I have", "I've got", "I'm in pain"... ("what do I do" is not a complaint)."""
        people = [c.start for c in cues if c.key == "third"]
        if not people:
            return False
        for i, token in enumerate(doc):
            word = token.lower_
            if word in OWN and not any(i < start <= i + 3 for start in people):
                return False
            following = [t.lower_ for t in doc[i + 1 : i + 4] if t.lower_ not in ADVERBS]
            if word == "i" and following[:1] and following[0] in COMPLAINT_VERBS:
                return False  # "I have", "I just have", "I've got"
            if word == "i" and following[:2] in (["'m", "in"], ["am", "in"], ["m", "in"]):
                return False  # "I'm in agony"
            if word == "me" and following[:2] == ["with", "the"]:
                return False  # "it's me with the bad shoulder"
        return True

    @staticmethod
    def _happening_now(doc: Doc, cues: list[_Mention]) -> bool:
        """Something in the message is about now: a present tense ("is", "has", "can't",
        "says"), or a word that carries the past into the present ("since", "this morning"),
        and no time long past ("years ago", "last year", "as a child")."""
        if any(c.key == "historical" for c in cues):
            return False
        return any(c.key == "ongoing" for c in cues) or any(
            token.lower_ in PRESENT_WORDS or _is_or_has(doc, token.i) for token in doc
        )

    @staticmethod
    def _context_cues(cues: list[_Mention]) -> bool:
        """Any denial, other-person, what-if, resolved or on-purpose cue not inside an
        inability phrase (for the learned detector, which reads no context itself)."""
        pseudo = [c for c in cues if c.key == "pseudo"]
        return any(
            c.key not in NOT_CONTEXT_CUES
            and not any(p.start <= c.start and c.end <= p.end for p in pseudo)
            for c in cues
        )

    @staticmethod
    def _hit(flag: RedFlag, doc: Doc, span: tuple[int, int]) -> RedFlagHit:
        return RedFlagHit(flag.id, flag.level, flag.category, doc[span[0] : span[1]].text)

    def _mentions(
        self, doc: Doc, all_cues: list[_Mention]
    ) -> tuple[list[tuple[_Mention, str | None]], list[_Mention]]:
        """Every symptom mention outside an exclusion, with why it is not asserted (or None);
        and the mentions an `explained_away` phrase holds ("sit on" in "numb from sitting on
        it")."""
        names = self.nlp.vocab.strings
        raw = [
            _Mention(names[key], start, end)
            for key, start, end in [*self.lemma_matcher(doc), *self.exact_matcher(doc)]
        ]
        exclusions = [m for m in raw if m.key in ("exclusion", EXPLAINED)]
        explained = [m for m in raw if m.key == EXPLAINED]
        # A cue inside a symptom phrase ("can't" in "can't feel") is part of the symptom.
        symptoms = [m for m in raw if m.key not in ("exclusion", EXPLAINED)]
        # Except "on purpose" itself: part of a self-harm phrase, but still a cue for the
        # categories it applies to ("lost a stone, on purpose").
        # And except a loss of feeling said of a mood ("I don't feel suicidal"): that "don't"
        # denies the mood.
        swallowing = [
            m for m in symptoms if m.key != DELIBERATELY and not _said_of_a_mood(m, symptoms)
        ]
        # A time phrase inside a symptom ("this morning" in "stiff this morning") still says
        # the time is now.
        cues = [
            c
            for c in all_cues
            if (c.key == "ongoing" and c.end - c.start >= 2)
            or c.key == "unintended"  # "lost weight without trying": it still says so
            or not any(m.start <= c.start and c.end <= m.end for m in swallowing)
        ]

        def inside(mention: _Mention, spans: list[_Mention]) -> bool:
            return any(x.start < mention.end and mention.start < x.end for x in spans)

        return [
            (mention, self._context(doc, mention, cues))
            for mention in symptoms
            if not inside(mention, exclusions)
        ], [mention for mention in symptoms if inside(mention, explained)]

    def _context(self, doc: Doc, mention: _Mention, cues: list[_Mention]) -> str | None:
        """Why the mention is not the patient's own symptom now; None when it is."""
        # "if I got numbness down below ... well I've got it now": a what-if come true
        what_if = (
            COME_TRUE
            if any(
                c.key == "come_true" and c.start >= mention.end and _ends_a_clause(doc, c.end)
                for c in cues
            )
            else HYPOTHETICAL
        )
        if self._general_question(doc, mention, cues):
            return what_if
        windows = self.context.windows
        pseudo = [c for c in cues if c.key == "pseudo"]
        sentence = self._sentence(doc, mention)
        reasons = [self._history(doc, mention, cues, sentence)]
        for cue in cues:
            if cue.key in ("pseudo", "terminator", "historical", "ongoing", "behalf", "come_true"):
                continue
            # A negation word inside an inability or loss phrase is never a denial.
            if any(p.start <= cue.start and cue.end <= p.end for p in pseudo):
                continue
            if cue.start >= mention.end:
                reasons.append(self._cue_after(doc, mention, cue, cues, sentence))
                continue
            if cue.end > mention.start or self._boundary_between(doc, cue.end, mention.start, cues):
                if cue.key == "on_purpose" and sentence[0] <= cue.start:
                    reasons.append(ON_PURPOSE)
                continue
            gap = mention.start - cue.end
            between = doc[cue.end : mention.start]
            words = {token.lower_ for token in between}
            if cue.key == "ruled_out":
                if gap <= windows["following_negation"] and "," not in words:
                    reasons.append(DENIED)  # "the MRI ruled out cord compression"
                continue
            if cue.key == "negation" and gap <= windows["negation"]:
                if words & (FIRST_PERSON - {"my"}):
                    continue  # "no, I have ...": the patient goes on to say it of themselves
                reasons.append(DENIED if self._only_fillers(between) else DENIED_AT_A_DISTANCE)
            elif cue.key == "third" and gap <= windows["other_person"]:
                said = {token.lower_ for token in doc[mention.start : mention.end]}
                # not "my family would be better off without me": the patient's own words
                if not (words | said) & FIRST_PERSON:
                    reasons.append(OTHER_PERSON)
            elif cue.key == "hypothetical" and gap <= windows["hypothetical"]:
                reasons.append(what_if)
            elif cue.key == "on_purpose":
                reasons.append(ON_PURPOSE)
        reasons = [reason for reason in reasons if reason]
        if ON_PURPOSE in reasons and any(
            c.key == "unintended" and sentence[0] <= c.start < sentence[1] for c in cues
        ):
            # "lost a stone without trying, before the wedding": not meant after all
            reasons = [reason for reason in reasons if reason != ON_PURPOSE]
        order = (
            DENIED, OTHER_PERSON, HYPOTHETICAL, ON_PURPOSE, RESOLVED, RETURNED, COME_TRUE,
            DENIED_AT_A_DISTANCE,
        )  # fmt: skip
        if {ON_PURPOSE, RESOLVED} <= set(reasons) and not {
            DENIED,
            OTHER_PERSON,
            HYPOTHETICAL,
        } & set(reasons):
            return ON_PURPOSE_PAST
        return min(reasons, key=order.index) if reasons else None

    def _history(
        self, doc: Doc, mention: _Mention, cues: list[_Mention], sentence: tuple[int, int]
    ) -> str | None:
        """RESOLVED when a past-time cue ("as a kid", "many years ago", "in 2016") is next to the
        mention (same sentence, no comma or clause break between, within the hypothetical
        window), or a recovery cue ("treated", "full recovery") is just before it, and the
        mention's clause (up to a comma or clause break) has no word that carries it into the
        present ("ever since", "still", "now", "getting worse"): "broke my wrist as a kid",
        "many years ago I had a stroke", "fell off a ladder years ago, now it just aches"."""
        inside = [c for c in cues if sentence[0] <= c.start and c.end <= sentence[1]]
        clause = self._clause(doc, mention, cues)
        # (a terminator that is also an ongoing word, "now", ends the clause and still counts)
        if any(c.key == "ongoing" and clause[0] - 1 <= c.start <= clause[1] for c in inside):
            return None
        window = self.context.windows["hypothetical"]

        def near(start: int, end: int) -> bool:
            lo, hi = (end, mention.start) if end <= mention.start else (mention.end, start)
            return (
                hi - lo <= window
                and not any(token.text in (",", "(", ")") for token in doc[lo:hi])
                and not self._boundary_between(doc, lo, hi, cues)
            )

        for cue in inside:
            # A present tense after the past time, in the mention's clause, brings it to now
            # ("the knee they did last year has gone hot"; not "my back pain is from a fall
            # years ago").
            later = range(max(cue.end, clause[0]), clause[1])
            if any(doc[i].lower_ in NOW_VERBS or _is_or_has(doc, i) for i in later):
                continue
            if cue.key == "historical" and near(cue.start, cue.end):
                return RESOLVED
            if cue.key == "resolved" and cue.end <= mention.start and near(cue.start, cue.end):
                return RESOLVED
        for i in range(max(sentence[0], 1), sentence[1]):
            if _past_year(doc[i].text) and doc[i - 1].lower_ == "in" and near(i - 1, i + 1):
                return RESOLVED
            # "when I was 17"
            was = [t.lower_ for t in doc[max(i - 3, 0) : i]] == ["when", "i", "was"]
            if was and doc[i].like_num and near(i - 3, i + 1):
                return RESOLVED
        return None

    def _cue_after(
        self,
        doc: Doc,
        mention: _Mention,
        cue: _Mention,
        cues: list[_Mention],
        sentence: tuple[int, int],
    ) -> str | None:
        """A cue after the mention: "... was ruled out", "... all gone now", "... on a diet"."""
        between = doc[mention.end : cue.start]
        words = [t.text for t in between]
        echoed = words[-1:] == ["?"] and not set(words[:-1]) & (CLAUSE_PUNCT | {","})
        if cue.key == "negation" and echoed and len(words) <= 4:
            return DENIED  # "hot swollen joint? no."
        if cue.key in ("negation", "following", "fine") and words and set(words) <= {":", "-"}:
            return DENIED  # a checklist: "steroids: no", "fever - none", "bowels: normal"
        if cue.start >= sentence[1]:
            return None
        if cue.key == "resolved":
            before = {token.lemma_ for token in doc[max(cue.start - 3, 0) : cue.start]}
            if before & NOT_WORDS:
                return None  # not "it doesn't wear off"
            # "overdosed this morning but I'm ok now": the mention's own clause is about now
            clause = self._clause(doc, mention, cues)
            ongoing = [
                c
                for c in cues
                if c.key == "ongoing"
                and clause[0] - 1 <= c.start <= clause[1]
                and not (cue.start <= c.start < cue.end)
            ]
            # "it settled but it's back now", "all clear, but I still have it": after the
            # recovery, the same sentence brings it back into the present
            returned = [
                c
                for c in cues
                if c.key == "ongoing"
                and cue.end <= c.start < sentence[1]
                and self._clause_break(doc, cue.end, c.start, cues)
            ]
            return None if ongoing else RETURNED if returned else RESOLVED
        if cue.key == "fine" and len(between) <= 1 and not any(t.text == "," for t in between):
            return DENIED  # "bladder fine", "waterworks are normal"
        if cue.key == "on_purpose":
            return ON_PURPOSE
        near = cue.start - mention.end <= self.context.windows["following_negation"]
        if (
            cue.key == "following"
            and near
            and not self._boundary_between(doc, mention.end, cue.start, cues)
        ):
            return DENIED
        return None

    def _only_fillers(self, span: Span) -> bool:
        """Only words like "have", "any", "my" between a negation and the symptom."""
        return all(token.lemma_ in self.fillers or token.lower_ in self.fillers for token in span)

    @staticmethod
    def _clause(doc: Doc, mention: _Mention, cues: list[_Mention]) -> tuple[int, int]:
        """Token bounds of the mention's clause: up to a comma, bracket, clause punctuation or a
        terminator ("but") on either side."""
        stops = {c.start for c in cues if c.key == "terminator"}
        return _bounds(doc, mention, CLAUSE_PUNCT | {",", "(", ")"}, stops)

    @staticmethod
    def _sentence(doc: Doc, mention: _Mention) -> tuple[int, int]:
        """Token bounds of the sentence holding the mention."""
        return _bounds(doc, mention, SENTENCE_PUNCT)

    @staticmethod
    def _general_question(doc: Doc, mention: _Mention, cues: list[_Mention]) -> bool:
        """A question not about the patient: "is chest pain a sign of something?", or,
        question mark or not, "could back pain ever be cancer", "when is a swollen calf
        something to worry about"."""
        start, end = _bounds(doc, mention, CLAUSE_PUNCT)
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
    def _clause_break(doc: Doc, start: int, end: int, cues: list[_Mention]) -> bool:
        """A comma, "and" or a clause break between two positions ("settled, now it's back")."""
        if any(token.text == "," or token.lower_ == "and" for token in doc[start:end]):
            return True
        return RedFlagDetector._boundary_between(doc, start, end, cues)

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
        doc: Doc,
        cues: list[_Mention],
        asking: bool = False,
        doubt: bool = False,
    ) -> tuple[int, int] | None:
        """The span that satisfies one of the flag's patterns, if any: of the patterns that
        raise the flag at once, or with `asking` of those that ask first (`ask_first`), or
        with `doubt` of those that only step the learned detector's guess down
        (`learned_asks`). An `unless_between` pattern does not count with one of those
        concepts inside its span."""
        for index, pattern in enumerate(patterns):
            if bool(pattern.get("learned_asks")) != doubt:
                continue
            if not doubt and bool(pattern.get("ask_first")) != asking:
                continue
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
            if span is not None and pattern.get("unless_between"):
                between = {f"concept:{name}" for name in pattern["unless_between"]}
                if any(
                    m.key in between and span[0] <= m.start and m.end <= span[1] for m in mentions
                ):
                    continue
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
    # "17 and back pain from nowhere", "52, female": an age opening the message. From 11 up,
    # so a pain score answered first ("7 and it wakes me") is never read as an age.
    re.compile(r"^(1[1-9]|[2-9]\d)\s*(?:,|and\b|&|n\b|\+|f\b|m\b|male\b|female\b)"),
    # "new back ache at 68", "at 72, first time ever": "at" and two digits ending a clause
    # (never "at 10 pm", "at 38 weeks", "at 50 metres")
    re.compile(r"\bat\s+(1[1-9]|[2-9]\d)\s*(?=$|[,.;!?]|\s+(?:and|now|with|but)\b)"),
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
    60", "in my seventies", or a date of birth: "DOB 14/07/1990"), if any."""
    born = date_of_birth_said_in_passing(text, date.today())
    if born is not None:
        return age_on(born, date.today())
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


def _bounds(
    doc: Doc, mention: _Mention, breaks: set[str], stops: set[int] | frozenset[int] = frozenset()
) -> tuple[int, int]:
    """Token bounds around a mention up to (not over) a break token or a stop position."""
    start = mention.start
    while start > 0 and doc[start - 1].text not in breaks and start - 1 not in stops:
        start -= 1
    end = mention.end
    while end < len(doc) and doc[end].text not in breaks and end not in stops:
        end += 1
    return start, end


def _past_year(word: str) -> bool:
    """A four-digit year before this one ("in 2016")."""
    return bool(re.fullmatch(r"(19|20)\d\d", word)) and int(word) < date.today().year


def _age_outside(age: int | None, bounds: list[int]) -> bool:
    return age is not None and (age < bounds[0] or age > bounds[1])


@cache
def default_detector() -> RedFlagDetector:
    """The detector over the catalogue in content/ (loaded once per process)."""
    return RedFlagDetector(load())
