"""``newsmon tag``: tag articles given as JSON Lines on stdin, one JSON object per line on stdout.

Input lines: ``{"id": "...", "title": "...", "text": "...", "language": "ru"}`` (``title``/``text``
may be empty; ``language`` is an optional hint). Output lines: ``id``, ``language``, ``script``,
``tags`` (tag ids), ``tag_details`` (score and evidence spans), ``entities`` (``id``, ``name``,
``type``, ``mentions``...), ``relevance`` - the same enrichment the pipeline indexes.

Bad input is never dropped silently: a line that is not a JSON object with string fields gets an
error object on stdout in its place (``{"line": 3, "id": ..., "error": "..."}``), a message naming the
line number on stderr, and the command exits with status 1 after processing the remaining lines.
Blank lines are skipped. No services are needed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import IO, Any

__all__ = ["register", "tag_stream"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tag",
        help="tag JSON Lines articles from stdin (id, title, text, language?)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument("--taxonomy", type=Path, help="taxonomy YAML to try (default: config/taxonomy.yaml)")
    parser.add_argument("--entities", type=Path, help="entities YAML (default: config/entities.yaml)")
    parser.add_argument("--places", type=Path, help="places JSON (default: config/places.belarus.json)")
    parser.add_argument("--brief", action="store_true", help="omit tag evidence and entity details")
    parser.add_argument("--pretty", action="store_true", help="indent the JSON output (not JSON Lines)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from pipeline.tagging import Enricher, TaxonomyError

    try:
        enricher = Enricher.load(args.taxonomy, args.entities, args.places)
    except TaxonomyError as exc:
        print(f"newsmon tag: invalid tagging configuration:\n{exc}", file=sys.stderr)
        return 2
    errors = tag_stream(enricher, sys.stdin, sys.stdout, brief=args.brief, indent=2 if args.pretty else None)
    return 1 if errors else 0


def tag_stream(
    enricher: Any, source: IO[str], sink: IO[str], *, brief: bool = False, indent: int | None = None
) -> int:
    """Tag every line of ``source`` into ``sink``; return the number of bad lines."""
    errors = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            item = _parse(line)
        except ValueError as exc:
            errors += 1
            print(f"newsmon tag: line {number}: {exc}", file=sys.stderr)
            sink.write(
                json.dumps({"line": number, "id": _guess_id(line), "error": str(exc)}, ensure_ascii=False)
                + "\n"
            )
            continue
        doc = enricher.enrich(
            title=item["title"], text=item["text"], language_hint=item["language"]
        ).to_document()
        if brief:
            doc = {
                "language": doc["language"],
                "tags": doc["tags"],
                "entities": [{"name": e["name"], "mentions": e["mentions"]} for e in doc["entities"]],
                "relevance": doc["relevance"],
            }
        sink.write(json.dumps({"id": item["id"], **doc}, ensure_ascii=False, indent=indent) + "\n")
        sink.flush()
    return errors


def _parse(line: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    out: dict[str, Any] = {"id": data.get("id")}
    for key in ("title", "text"):
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError(f"field {key!r} must be a string, got {type(value).__name__}")
        out[key] = value
    language = data.get("language")
    if language is not None and not isinstance(language, str):
        raise ValueError(f"field 'language' must be a string, got {type(language).__name__}")
    out["language"] = language
    if not (out["title"].strip() or out["text"].strip()):
        raise ValueError("no text: 'title' and 'text' are both empty or missing")
    return out


def _guess_id(line: str) -> Any:
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return None
    return data.get("id") if isinstance(data, dict) else None
