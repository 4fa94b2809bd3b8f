"""Export conversations from the tracker store as Rasa end-to-end test stories.

Used to turn a reviewed real conversation into a regression test:
    .venv/bin/python -m scripts.export_test_story SENDER_ID "story name" >> tests/stories/x.yml
"""

import asyncio
import sys

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter

from scripts.layout import BUILD_DOMAIN, VAR


def main(sender: str, name: str) -> None:
    domain = Domain.load(str(BUILD_DOMAIN))
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(VAR / "tracker.db"))
    tracker = asyncio.run(store.retrieve_full_tracker(sender))
    steps = tracker.as_story(include_source=False).story_steps
    text = YAMLStoryWriter().dumps(steps, is_appendable=True, is_test_story=True)
    print(text.replace(f"story: {sender}", f"story: {name}", 1))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
