"""Load the content catalogues when the action server starts, not in a patient's turn.

Each is parsed and checked once, on first use (about a second each for the red-flag and
signposting catalogues). Measured in `make bench`: left lazy, that second fell on the first
patient's first form question and on their submission. The vocabulary's word patterns (5 ms
for the body areas) and the phone-number metadata (1.6 ms) are built here too.
"""

from bot import content_store, signposting
from bot.contact_fields import parse_uk_phone
from bot.dialogue.escalation import catalogue
from bot.problem_vocabulary import match

catalogue()
signposting.load()
for name in ("problem_vocabulary", "eligibility", "service"):
    content_store.load(name)
for section in ("body_areas", "sides", "onset"):
    match(section, "")
parse_uk_phone("01632 960000")
