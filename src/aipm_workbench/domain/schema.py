"""The JSON Schema of the assessment file format, for editors and other tools."""

from __future__ import annotations

from .models import FORMAT_VERSION, Assessment
from .taxonomy import builtin_taxonomy


def json_schema() -> dict:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:aipm-workbench:schema:aipm-assessment-1",
        **Assessment.model_json_schema(mode="validation"),
        "title": f"aipm-workbench assessment file ({FORMAT_VERSION})",
        "description": "One AI feature's assessment: harms, ratings, fallbacks, metrics, "
        "hypotheses, premortem and decision. TOML or JSON.",
    }
    schema["required"] = sorted(set(schema.get("required", [])) | {"format", "feature"})
    harm = schema.get("$defs", {}).get("Harm")
    if harm is not None:
        harm["properties"]["type"]["enum"] = builtin_taxonomy().ids()
        harm["properties"]["type"]["description"] = "A harm type id of the taxonomy in use."
    return schema
