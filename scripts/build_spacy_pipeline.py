"""Build the on-disk blank English spaCy pipeline (lookup lemmatizer) if it is missing.

No model is downloaded: the lemma tables come from the installed spacy-lookups-data.
"""

import spacy

from scripts.layout import SPACY_PIPELINE


def build() -> None:
    """Save spacy.blank("en") with a lookup lemmatizer to SPACY_PIPELINE."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    SPACY_PIPELINE.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(SPACY_PIPELINE)


if __name__ == "__main__":
    if not (SPACY_PIPELINE / "config.cfg").exists():
        build()
        print(f"setup: built blank spaCy pipeline at {SPACY_PIPELINE}")
