"""`aipm-workbench schema`: the JSON Schema of the file format validates the sample files.

``jsonschema`` is used when installed; otherwise a small validator of the keywords the
schema uses (``$ref``, ``anyOf``, ``type``, ``enum``, ``const``, ``properties``,
``additionalProperties``, ``required``, ``items``, lengths, bounds, ``pattern``) stands in.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner

from aipm_workbench.cli import main
from aipm_workbench.domain import builtin_taxonomy, dump_json, read_assessment

TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _type_ok(value, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, TYPES[name])


def problems(value, schema: dict, root: dict, path: str = "") -> list[str]:
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return problems(value, target, root, path)
    if "anyOf" in schema:
        results = [problems(value, s, root, path) for s in schema["anyOf"]]
        return [] if any(not r for r in results) else [f"{path}: matches no anyOf branch"]
    out: list[str] = []
    if "type" in schema and not _type_ok(value, schema["type"]):
        return [f"{path}: not {schema['type']}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        out.append(f"{path}: not {schema['const']!r}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{path}: below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{path}: above maximum")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            out.append(f"{path}: not above exclusiveMinimum")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{path}: does not match {schema['pattern']}")
        if schema.get("format") == "date":
            dt.date.fromisoformat(value)
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 1e9):
            out.append(f"{path}: wrong number of items")
        for i, item in enumerate(value):
            out += problems(item, schema.get("items", {}), root, f"{path}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{path}.{key}: required")
        for key, item in value.items():
            if key in props:
                out += problems(item, props[key], root, f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                out.append(f"{path}.{key}: not allowed")
    return out


@pytest.fixture(scope="module")
def schema() -> dict:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def validate(instance, schema) -> list[str]:
    try:
        import jsonschema
    except ImportError:
        return problems(instance, schema, schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [e.message for e in validator.iter_errors(instance)]


def test_schema_is_a_json_schema_of_the_format(schema):
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["type"] == "object"
    assert {"format", "feature"} <= set(schema["required"])
    assert schema["properties"]["format"]["const"] == "aipm-assessment/1"
    assert set(schema["properties"]) == {
        "format",
        "taxonomy",
        "feature",
        "harms",
        "fallbacks",
        "metrics",
        "hypotheses",
        "premortem",
        "decision",
        "extra",
    }
    assert schema["additionalProperties"] is False
    harm = schema["$defs"]["Harm"]
    assert harm["additionalProperties"] is False
    assert sorted(harm["properties"]["type"]["enum"]) == sorted(builtin_taxonomy().ids())
    assert harm["properties"]["severity"]["minimum"] == 1
    assert harm["properties"]["severity"]["maximum"] == 5


def test_schema_validates_every_sample_file(schema, sample_projects):
    files = sorted(sample_projects.glob("*.toml"))
    assert len(files) >= 8
    for path in files:
        instance = json.loads(dump_json(read_assessment(path)))
        assert validate(instance, schema) == [], path.name


def test_schema_rejects_what_the_loader_rejects(schema, sample_projects):
    instance = json.loads(dump_json(read_assessment(sample_projects / "support-bot.toml")))
    instance["harms"][0]["severity"] = 6
    instance["harms"][0]["colour"] = "red"
    instance["fallbacks"][0]["kind"] = "pray"
    instance["feature"]["id"] = "Support/Bot"
    assert len(validate(instance, schema)) >= 4
