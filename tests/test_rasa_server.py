"""The Rasa launcher's cached schema check behaves exactly like jsonschema.validate."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from scripts.rasa_server import cached_validate

SPEC = RemoteAction.action_response_format_spec()
GOOD = {"events": [{"event": "slot", "name": "postcode", "value": "ST4 6QG"}], "responses": []}
BAD = {"events": [{"event": 42}], "responses": "not a list"}


def test_cached_validate_accepts_and_rejects_what_jsonschema_does():
    assert cached_validate(GOOD, SPEC) is None
    with pytest.raises(jsonschema.ValidationError) as cached:
        cached_validate(BAD, SPEC)
    with pytest.raises(jsonschema.ValidationError) as original:
        jsonschema.validate(BAD, SPEC)
    assert cached.value.message == original.value.message


def test_an_invalid_schema_is_still_refused():
    with pytest.raises(jsonschema.SchemaError):
        cached_validate({}, {"type": "not-a-type"})
