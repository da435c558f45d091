"""config/kibana/newsmon.ndjson: every field the saved objects use exists in the index mapping with a
type Kibana can aggregate (charts, tables) or search on (queries, columns); references resolve.
Kibana itself cannot run here, so this is the check that the dashboard does not break on import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from luqum.parser import parser
from luqum.tree import SearchField

from alerts.records import ALERTS_MAPPING
from newsmon.core.es_schema import ARTICLES_MAPPING

NDJSON = Path(__file__).resolve().parents[2] / "config" / "kibana" / "newsmon.ndjson"
AGGREGATABLE = {"keyword", "date", "float", "integer", "long", "boolean"}


def _objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in NDJSON.read_text(encoding="utf-8").splitlines() if line.strip()]


def _field_types(mapping: dict[str, Any], prefix: str = "") -> dict[str, str]:
    types: dict[str, str] = {}
    for name, spec in mapping.get("properties", {}).items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            types.update(_field_types(spec, f"{path}."))
        else:
            types[path] = spec.get("type", "object")
        for sub, sub_spec in spec.get("fields", {}).items():
            types[f"{path}.{sub}"] = sub_spec["type"]
    return types


MAPPINGS = {
    "newsmon-articles": _field_types(ARTICLES_MAPPING),
    "newsmon-alerts": _field_types(ALERTS_MAPPING),
}


def _view_of(obj: dict[str, Any]) -> str:
    (ref,) = [r for r in obj["references"] if r["type"] == "index-pattern"]
    return str(ref["id"])


def _query_fields(query: str) -> set[str]:
    return {node.name for node in _walk(parser.parse(query))}


def _walk(node: Any) -> list[Any]:
    found = [node] if isinstance(node, SearchField) else []
    for child in getattr(node, "children", []):
        found += _walk(child)
    return found


def test_every_aggregated_field_is_aggregatable() -> None:
    checked = 0
    for obj in _objects():
        if obj["type"] != "visualization":
            continue
        types = MAPPINGS[_view_of(obj)]
        for agg in json.loads(obj["attributes"]["visState"])["aggs"]:
            field = agg["params"].get("field")
            if field:
                assert types.get(field) in AGGREGATABLE, f"{obj['id']}: {field} is {types.get(field)}"
                checked += 1
    assert checked >= 5


def test_searched_fields_columns_and_time_fields_exist() -> None:
    for obj in _objects():
        if obj["type"] == "index-pattern":
            types = MAPPINGS[obj["id"]]
            assert types.get(obj["attributes"]["timeFieldName"]) == "date"
            for field in json.loads(obj["attributes"]["fieldFormatMap"]):
                assert field in types, f"{obj['id']}: format for unknown field {field}"
        if obj["type"] == "search":
            types = MAPPINGS[_view_of(obj)]
            for column in obj["attributes"]["columns"]:
                assert column in types, f"{obj['id']}: column {column} not in the mapping"
            source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            for field in _query_fields(source["query"]["query"]):
                assert field in types, f"{obj['id']}: query field {field} not in the mapping"


def test_dashboard_references_resolve() -> None:
    objects = _objects()
    ids = {(o["type"], o["id"]) for o in objects}
    (dashboard,) = [o for o in objects if o["type"] == "dashboard"]
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    names = {r["name"]: (r["type"], r["id"]) for r in dashboard["references"]}
    assert len(panels) == 5
    for panel in panels:
        assert names[panel["panelRefName"]] in ids
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in ids, f"{obj['id']} refers to missing {ref}"
    titles = {o["attributes"]["title"] for o in objects if o["type"] == "search"}
    assert {
        "Belarus × political prisoners",
        "Belarus × torture",
        "Press freedom",
        "All human rights",
    } <= titles


def test_committed_file_is_what_the_script_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build", NDJSON.parents[2] / "scripts" / "build_kibana_objects.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = "".join(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n" for o in module.objects())
    assert NDJSON.read_text(encoding="utf-8") == expected, "run python scripts/build_kibana_objects.py"
