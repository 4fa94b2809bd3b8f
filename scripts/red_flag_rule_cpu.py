"""CPU time of the red-flag rules alone per message: `python -m scripts.red_flag_rule_cpu [N]`.

Runs `RedFlagDetector.analyse` over the first N corpus lines (default 3,000) after a short
warm-up and prints the process CPU time per message. Run it on two checkouts one after the
other (paired) to compare rule changes without starting the stack.
"""

from __future__ import annotations

import sys
import time

from bot.nlu.red_flag_model import read_corpus
from bot.red_flag_detector import default_detector


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    texts = read_corpus()[0][:count]
    detector = default_detector()
    for text in texts[:200]:
        detector.analyse(text)
    start = time.process_time()
    for text in texts:
        detector.analyse(text)
    per_message = (time.process_time() - start) / len(texts) * 1000
    print(f"red-flag rules: {per_message:.2f} ms CPU per message over {len(texts)} messages")


if __name__ == "__main__":
    main()
