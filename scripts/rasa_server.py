"""Start the Rasa server (`python -m scripts.rasa_server run ...`, same arguments as `rasa`).

One measured speed-up before Rasa starts: Rasa checks every action-server reply with
`jsonschema.validate`, which re-checks the schema itself against the JSON Schema meta-schema
on every call. Profiling under load (py-spy, docs/performance.md) put that at about a quarter
of the Rasa process's time. `cached_validate` keeps one checked validator per schema and
validates exactly as before: the same errors, raised the same way.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import jsonschema
from jsonschema import exceptions, validators

_VALIDATORS: dict[str, Any] = {}


def cached_validate(
    instance: Any, schema: dict, cls: Any = None, *args: Any, **kwargs: Any
) -> None:
    """`jsonschema.validate`, checking each distinct schema only the first time it is seen."""
    if args or kwargs:
        return _ORIGINAL_VALIDATE(instance, schema, cls, *args, **kwargs)
    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _VALIDATORS.get(key)
    if validator is None:
        validator_class = cls or validators.validator_for(schema)
        validator_class.check_schema(schema)
        validator = _VALIDATORS[key] = validator_class(schema)
    error = exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


_ORIGINAL_VALIDATE = jsonschema.validate


def main() -> None:
    jsonschema.validate = cached_validate
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
