"""The scenario schema as documentation: JSON Schema, a Markdown reference page and a template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from packlife.site.scenario import Scenario

TEMPLATE = Path(__file__).parent / "templates" / "new-scenario.toml"


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file, from the pydantic model."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "packlife scenario"
    return schema


def _type_of(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return "[" + str(prop["$ref"]).split("/")[-1] + "]"
    if "anyOf" in prop:
        return " or ".join(_type_of(p) for p in prop["anyOf"])
    if "enum" in prop:
        return " / ".join(json.dumps(v) for v in prop["enum"])
    if "const" in prop:
        return json.dumps(prop["const"])
    if prop.get("type") == "array":
        return "list of " + _type_of(prop.get("items", {}))
    return str(prop.get("type", "any"))


def _bounds(prop: dict[str, Any]) -> str:
    parts = []
    for key, sym in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ):
        if key in prop:
            parts.append(f"{sym} {prop[key]}")
    if "pattern" in prop:
        parts.append(f"pattern `{prop['pattern']}`")
    return ", ".join(parts)


def _table(name: str, model: dict[str, Any]) -> list[str]:
    lines = [
        f"### `{name}`",
        "",
        model.get("description", "").strip(),
        "",
        "| field | type | default | limits | description |",
        "|---|---|---|---|---|",
    ]
    required = set(model.get("required", []))
    for field, prop in model.get("properties", {}).items():
        default = (
            "**required**"
            if field in required
            else (f"`{json.dumps(prop['default'])}`" if "default" in prop else "")
        )
        desc = prop.get("description", "").replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| `{field}` | {_type_of(prop).replace('|', '/')} | {default} | "
            f"{_bounds(prop)} | {desc} |"
        )
    return [*lines, ""]


def reference_markdown() -> str:
    """The scenario reference page (docs/scenario-reference.md), generated from the schema."""
    schema = json_schema()
    out = [
        "# Scenario reference",
        "",
        "Generated from the scenario schema by `packlife scenario reference`; do not edit by",
        "hand.",
        "A scenario is a TOML file; `packlife scenario new FILE` writes a commented template and",
        "`packlife scenario schema` prints the JSON Schema. Units are in the field names",
        "(see docs/conventions.md). Paths are relative to the scenario file.",
        "",
        "**Time.** Timestamps in files need a UTC offset, or a `timezone` (IANA) for the file or",
        "in `[site]`; zoneless times are refused. Profile and weather rows are labelled at the",
        "**start** of the interval they cover (weather formats use their own convention, see",
        "`label`). Local clock hours (opening hours, TOU bands) follow `[site] timezone`, DST",
        "included. Outputs: `packlife.site.timeaxis` labels each output interval with its",
        "**start** in the site's zone and stores units, pack serials, weather source and",
        "currency in the Parquet metadata (key `packlife`); the loop's own `SiteResult.flows`",
        "`time` column is the interval **end**.",
        "",
        "**Money.** One currency (`[economics] currency`) for every amount and price file.",
        "",
    ]
    out += _table("scenario (top level)", schema)
    for name, model in sorted(schema.get("$defs", {}).items()):
        if model.get("type") == "object" or "properties" in model:
            out += _table(name, model)
        elif "enum" in model:
            out += [f"### `{name}`", "", "one of " + ", ".join(f"`{v}`" for v in model["enum"]), ""]
    return "\n".join(out).rstrip() + "\n"
