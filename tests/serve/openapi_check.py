"""Validate response bodies against the service's own /openapi.json component schemas."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from ioncli.serve.openapi import schema_components


@cache
def _components() -> dict[str, Any]:
    return {"schemas": schema_components()}


def check(name: str, body: Any) -> None:
    """Raise jsonschema.ValidationError unless `body` matches component schema `name`."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": _components()}
    Draft202012Validator(schema).validate(body)
