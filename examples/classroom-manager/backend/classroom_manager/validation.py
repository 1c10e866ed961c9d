"""Validation of request bodies, kept free of database imports so that it is easy to test."""

from __future__ import annotations

import json
from typing import Any

MAX_BODY_BYTES = 16 * 1024
# The classrooms table enforces the same limit with a CHECK constraint.
MAX_NAME_LENGTH = 100


_JSON_TYPE_NAMES = {
    bool: "boolean",
    int: "number",
    float: "number",
    list: "array",
    dict: "object",
    type(None): "null",
}


class ValidationError(ValueError):
    """A request body is invalid. The message is safe to return to the client."""


def parse_json_body(body: bytes) -> Any:
    """Decode a UTF-8 JSON request body, raising ValidationError when it is not valid JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValidationError("request body is not valid UTF-8; send JSON encoded as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def validate_classroom_name(payload: Any) -> str:
    """Return the classroom name from a POST /api/classrooms payload, stripped of outer whitespace.

    Raise ValidationError unless the payload is a JSON object whose ``name`` is a string
    of 1 to MAX_NAME_LENGTH characters after stripping.
    """
    if not isinstance(payload, dict):
        raise ValidationError('request body must be a JSON object such as {"name": "Room 101"}')
    if "name" not in payload:
        raise ValidationError('"name" is missing; send {"name": "<classroom name>"}')
    name = payload["name"]
    if not isinstance(name, str):
        raise ValidationError(f'"name" must be a string, not {_JSON_TYPE_NAMES[type(name)]}')
    name = name.strip()
    if not name:
        raise ValidationError(
            f'"name" is empty; send 1 to {MAX_NAME_LENGTH} characters other than whitespace'
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(f'"name" is {len(name)} characters long; the maximum is {MAX_NAME_LENGTH}')
    return name
