"""Where the project keeps its generated state; every path is relative to the repo root."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
SPACY_PIPELINE = VAR / "spacy" / "en_blank"
BUILD_DOMAIN = VAR / "build" / "domain"
MODELS = VAR / "models"
MODEL_FILE = MODELS / "msk-assistant.tar.gz"
MODEL_FINGERPRINT = MODELS / "msk-assistant.inputs.sha256"

# Files merged into the Rasa domain: structure from the root, patient wording from content/.
DOMAIN_PARTS = (ROOT / "domain.yml", ROOT / "content" / "responses.yml")

# Everything whose change means the model must be retrained. Of content/, only what the model
# holds: the responses (part of the domain) and what the red-flag component reads. The rest of
# content/ (kiosk, signposting, service facts, vocabularies) is read by the running processes.
TRAINING_INPUTS = (
    "config.yml",
    "domain.yml",
    "content/responses.yml",
    "content/referral_fields.yml",
    "scripts/form_domain.py",
    "content/red_flags.yml",
    "content/red_flag_context.yml",
    "content/intent_words.yml",
    "bot/data",
    "bot/nlu",
    "bot/red_flag_catalogue.py",
    "bot/red_flag_detector.py",
    "bot/red_flag_context.py",
    "requirements.lock",
    "requirements-model.lock",
)
