"""Write config/kibana/newsmon.ndjson: newsmon's Kibana saved objects (data views, saved searches,
visualizations, dashboard), imported by docker-compose's one-shot ``kibana-setup`` service through
Kibana's saved-objects API. Re-run after changing this file: ``python scripts/build_kibana_objects.py``.
tests/unit/test_kibana_objects.py checks every field used exists in the mapping with a usable type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "config" / "kibana" / "newsmon.ndjson"
ARTICLES = "newsmon-articles"
ALERTS = "newsmon-alerts"
VERSION = "8.19.0"


def data_view(view_id: str, title: str, time_field: str, formats: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "index-pattern",
        "id": view_id,
        "attributes": {
            "title": title,
            "name": title,
            "timeFieldName": time_field,
            "fieldFormatMap": json.dumps(formats),
        },
        "references": [],
        "coreMigrationVersion": VERSION,
    }


def search(search_id: str, title: str, query: str, view: str, columns: list[str]) -> dict[str, Any]:
    source = {
        "query": {"query": query, "language": "lucene"},
        "filter": [],
        "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
    }
    return {
        "type": "search",
        "id": search_id,
        "attributes": {
            "title": title,
            "columns": columns,
            "sort": [["@timestamp", "desc"]],
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)},
        },
        "references": [
            {"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": view}
        ],
        "coreMigrationVersion": VERSION,
    }


def visualization(
    vis_id: str, title: str, vis_type: str, aggs: list[dict[str, Any]], params: dict[str, Any]
) -> dict[str, Any]:
    source = {
        "query": {"query": "", "language": "lucene"},
        "filter": [],
        "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
    }
    return {
        "type": "visualization",
        "id": vis_id,
        "attributes": {
            "title": title,
            "visState": json.dumps({"title": title, "type": vis_type, "aggs": aggs, "params": params}),
            "uiStateJSON": "{}",
            "description": "",
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)},
        },
        "references": [
            {"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": ARTICLES}
        ],
        "coreMigrationVersion": VERSION,
    }


def terms(agg_id: str, field: str, size: int, schema: str) -> dict[str, Any]:
    return {
        "id": agg_id,
        "enabled": True,
        "type": "terms",
        "schema": schema,
        "params": {"field": field, "size": size, "order": "desc", "orderBy": "1"},
    }


COUNT = {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}


def objects() -> list[dict[str, Any]]:
    views = [
        data_view(ARTICLES, f"{ARTICLES}", "@timestamp", {"url": {"id": "url", "params": {}}}),
        data_view(ALERTS, f"{ALERTS}", "@timestamp", {"url": {"id": "url", "params": {}}}),
    ]
    columns = ["title", "source_names", "tags", "entity_names", "url"]
    searches = [
        search(
            "belarus-political-prisoners",
            "Belarus × political prisoners",
            "tags:belarus AND tags:political_prisoners",
            ARTICLES,
            columns,
        ),
        search("belarus-torture", "Belarus × torture", "tags:belarus AND tags:torture", ARTICLES, columns),
        search("press-freedom", "Press freedom", "tags:press_freedom", ARTICLES, columns),
        search("human-rights", "All human rights", "tags:human_rights", ARTICLES, columns),
        search("latest-alerts", "Latest alerts", "*", ALERTS, ["subscription_name", "title", "tags", "url"]),
    ]
    histogram = {
        "id": "2",
        "enabled": True,
        "type": "date_histogram",
        "schema": "segment",
        "params": {"field": "@timestamp", "interval": "auto", "min_doc_count": 1},
    }
    visualizations = [
        visualization(
            "mentions-by-theme",
            "Mentions over time by theme",
            "histogram",
            [COUNT, histogram, terms("3", "tags", 12, "group")],
            {"type": "histogram", "addLegend": True, "legendPosition": "right"},
        ),
        visualization(
            "top-entities",
            "Top entities",
            "table",
            [COUNT, terms("2", "entity_names", 20, "bucket")],
            {"perPage": 20},
        ),
        visualization(
            "top-sources",
            "Top sources",
            "table",
            [COUNT, terms("2", "source_names", 20, "bucket")],
            {"perPage": 20},
        ),
        visualization(
            "language-split",
            "Language split",
            "pie",
            [COUNT, terms("2", "language", 10, "segment")],
            {"type": "pie", "addLegend": True, "isDonut": True},
        ),
    ]
    panels: list[dict[str, Any]] = []
    references: list[dict[str, Any]] = []
    layout = [(0, 0, 48, 15), (0, 15, 24, 15), (24, 15, 24, 15), (0, 30, 16, 15), (16, 30, 32, 15)]
    panel_sources = [("visualization", v["id"]) for v in visualizations] + [("search", "latest-alerts")]
    for n, ((kind, ref_id), (x, y, w, h)) in enumerate(zip(panel_sources, layout, strict=True)):
        name = f"panel_{n}"
        panels.append(
            {
                "panelIndex": str(n),
                "gridData": {"x": x, "y": y, "w": w, "h": h, "i": str(n)},
                "version": VERSION,
                "panelRefName": name,
                "embeddableConfig": {},
            }
        )
        references.append({"name": name, "type": kind, "id": ref_id})
    dashboard = {
        "type": "dashboard",
        "id": "newsmon-overview",
        "attributes": {
            "title": "newsmon — Belarus and human rights",
            "description": "Mentions over time by theme, top entities and sources, languages, latest alerts",
            "panelsJSON": json.dumps(panels),
            "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
            "timeRestore": True,
            "timeFrom": "now-7d",
            "timeTo": "now",
            "kibanaSavedObjectMeta": {
                "searchSourceJSON": json.dumps({"query": {"query": "", "language": "lucene"}, "filter": []})
            },
        },
        "references": references,
        "coreMigrationVersion": VERSION,
    }
    return [*views, *searches, *visualizations, dashboard]


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        "".join(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n" for o in objects()), encoding="utf-8"
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
