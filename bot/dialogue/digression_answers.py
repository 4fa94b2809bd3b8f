"""Which response answers a question the patient may ask at any point (what MIS is, how long
the wait is, what happens next...), wherever it is asked.

action_answer_digression answers such a question when it is the whole message. When the
message also answers the open form question ("about 3 months, how long is the wait?"), the
form takes the answer and its validation says this response too, so the question is not lost.
Pure functions.
"""

from __future__ import annotations

from bot.dialogue.service_terms import asked_term

# The action that answers them (bot/actions/digressions.py).
ANSWER_ACTION = "action_answer_digression"
# The questions answered wherever they are asked (the intents the NLU gives them).
QUESTION_INTENTS = (
    "ask_what_is_mis", "ask_waiting_times", "ask_what_next", "ask_data_use", "ask_human",
    "ask_help", "ask_nearest_ae",
)  # fmt: skip


def answer_response(intent: str, text: str | None, kiosk: bool, responses: dict) -> str:
    """The response that answers the question: utter_answer_<what was asked> ("what is
    rheumatology?" its own term's), the kiosk's variant where there is one, else the help."""
    response = f"utter_answer_{intent.removeprefix('ask_')}"
    if intent == "ask_what_is_mis":
        term = asked_term(text)
        response = f"utter_answer_term_{term}" if term else response
    if kiosk and f"{response}_kiosk" in responses:
        response = f"{response}_kiosk"
    return response if response in responses else "utter_answer_help"
