from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.tagging import Enricher, TaxonomyError, default_config_dir
from pipeline.tagging.evaluate import THEMES
from pipeline.tagging.lint import lint
from pipeline.tagging.taxonomy import load_places, load_taxonomy

CONFIG = default_config_dir()


def test_required_tags_have_definitions_and_mappings() -> None:
    taxonomy = load_taxonomy(CONFIG / "taxonomy.yaml")
    tags = {t.id: t for t in taxonomy.tags}
    assert {"belarus", "human_rights", *THEMES} <= set(tags)
    for theme in THEMES:
        assert tags[theme].parent == "human_rights"
        assert tags[theme].gdelt and tags[theme].huridocs and tags[theme].definition
    assert tags["human_rights"].implied_by_children


def test_committed_configuration_lints_clean() -> None:
    report = lint(CONFIG / "taxonomy.yaml")
    assert report.errors == []
    assert report.stats["patterns"] > 1000


def _broken(tmp_path: Path, mutate: object) -> Path:
    data = yaml.safe_load((CONFIG / "taxonomy.yaml").read_text(encoding="utf-8"))
    mutate(data)  # type: ignore[operator]
    path = tmp_path / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_schema_error_names_file_tag_and_field(tmp_path: Path) -> None:
    def mutate(data: dict) -> None:  # type: ignore[type-arg]
        data["tags"][2]["rules"][0]["weight"] = "heavy"

    path = _broken(tmp_path, mutate)
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(path)
    tag_id = yaml.safe_load(path.read_text(encoding="utf-8"))["tags"][2]["id"]
    assert (
        str(path) in str(err.value) and f"tags[id={tag_id}]" in str(err.value) and "weight" in str(err.value)
    )


def test_unknown_group_reference_is_reported(tmp_path: Path) -> None:
    def mutate(data: dict) -> None:  # type: ignore[type-arg]
        data["tags"][0]["rules"][0]["match"] = ["no_such_group"]

    with pytest.raises(TaxonomyError, match="no_such_group"):
        Enricher.load(taxonomy_path=_broken(tmp_path, mutate))


def test_lint_reports_pattern_missing_its_example(tmp_path: Path) -> None:
    def mutate(data: dict) -> None:  # type: ignore[type-arg]
        data["lexicon"]["detain"]["en"].append({"p": "arrest*", "ex": ["cardiac"]})
        data["tags"][0]["examples"]["positive"].append("Nothing about the country here.")

    report = lint(_broken(tmp_path, mutate))
    assert any("does not match its example 'cardiac'" in e for e in report.errors)
    assert any("does not fire on 'Nothing about the country here.'" in e for e in report.errors)


def test_places_are_derived_filtered_and_licensed() -> None:
    places = load_places(CONFIG / "places.belarus.json")
    ids = {p.id: p for p in places.places}
    assert "MIT License" in places.licence and "Chubrik" in places.licence
    assert {"place:minsk", "place:grodno", "place:gomel", "place:brest"} <= set(ids)
    assert ids["place:brest"].unless == ("france_context",)
    assert ids["place:lida"].requires_belarus
    assert not any(p.name in {"Vetka", "Mosty", "Korma"} for p in places.places)  # common words


def test_build_places_reproduces_committed_file(shared: Path, tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_places", CONFIG.parent / "scripts" / "build_places.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "places.json"
    assert (
        module.main(["--source", str(shared / "gazetteers" / "belarus-toponyms.json"), "--output", str(out)])
        == 0
    )
    assert out.read_text(encoding="utf-8") == (CONFIG / "places.belarus.json").read_text(encoding="utf-8")


def test_gdelt_and_huridocs_mappings_exist_in_references(shared: Path) -> None:
    gdelt = {
        line.split("\t")[0]
        for line in (shared / "taxonomies" / "gdelt-gkg-themes.txt").read_text(encoding="utf-8").splitlines()
    }
    huridocs = (shared / "taxonomies" / "huridocs-micro-thesauri.csv").read_text(encoding="utf-8")
    for tag in load_taxonomy(CONFIG / "taxonomy.yaml").tags:
        assert set(tag.gdelt) <= gdelt, tag.id
        for ref in tag.huridocs:
            assert f"{ref.vocab}," in huridocs and ref.term.split(";")[0] in huridocs, (tag.id, ref)
