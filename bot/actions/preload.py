"""Load the content catalogues when the action server starts, not in a patient's turn.

Each is parsed and checked once, on first use (about a second each for the red-flag and
signposting catalogues). Measured in `make bench`: left lazy, that second fell on the first
patient's first form question and on their submission.
"""

from bot import content_store, signposting
from bot.actions.escalation import catalogue

catalogue()
signposting.load()
for name in ("problem_vocabulary", "eligibility", "service"):
    content_store.load(name)
