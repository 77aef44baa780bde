"""Validate response bodies against the service's own /openapi.json component schemas."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from ioncli.serve.openapi import build_openapi


@cache
def _components() -> dict[str, Any]:
    return build_openapi("ion-mentoring")["components"]


def check(name: str, body: Any) -> None:
    """Raise jsonschema.ValidationError unless `body` matches component schema `name`."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": _components()}
    Draft202012Validator(schema).validate(body)
