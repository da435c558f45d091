"""``newsmon taxonomy check``: validate and lint the tagging configuration.

Exit status 0 when the configuration loads and has no lint errors (warnings are printed), 1 when
there are lint errors, 2 when it does not load (schema or reference errors, printed with file, entry
and field).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("taxonomy", help="inspect the tagging taxonomy")
    sub = parser.add_subparsers(dest="taxonomy_command", metavar="ACTION")
    check = sub.add_parser("check", help="validate and lint config/taxonomy.yaml, entities and places")
    check.add_argument("--taxonomy", type=Path, help="taxonomy YAML (default: config/taxonomy.yaml)")
    check.add_argument("--entities", type=Path, help="entities YAML (default: config/entities.yaml)")
    check.add_argument("--places", type=Path, help="places JSON (default: config/places.belarus.json)")
    check.add_argument("--quiet", action="store_true", help="print errors only")
    check.set_defaults(func=_check)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def _check(args: argparse.Namespace) -> int:
    from pipeline.tagging import TaxonomyError, default_config_dir
    from pipeline.tagging.lint import lint

    base = default_config_dir()
    taxonomy = args.taxonomy or base / "taxonomy.yaml"
    try:
        report = lint(taxonomy, args.entities, args.places)
    except TaxonomyError as exc:
        print(f"newsmon taxonomy check: invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        for warning in report.warnings:
            print(f"warning: {warning}")
    for error in report.errors:
        print(f"error: {error}")
    stats = ", ".join(f"{v} {k}" for k, v in report.stats.items())
    verdict = "FAILED" if report.errors else "OK"
    print(f"{verdict}: {stats}; {len(report.errors)} errors, {len(report.warnings)} warnings")
    return 1 if report.errors else 0
