from __future__ import annotations

import io
import json

import pytest

from newsmon.cli.main import main


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], stdin: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_tag_command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        json.dumps(
            {"id": "1", "title": "Лукашенко помиловал политзаключённых", "text": "Освобождены 18 человек."}
        ),
        "",
        json.dumps({"id": "2", "title": "Stocks rise", "text": "The DAX closed higher.", "language": "en"}),
    ]
    code, out, err = _run(monkeypatch, capsys, ["tag"], "\n".join(lines) + "\n")
    assert code == 0 and err == ""
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["id"] == "1" and first["language"] == "ru"
    assert {"belarus", "human_rights", "political_prisoners"} <= set(first["tags"])
    assert first["entities"][0]["name"] == "Alexander Lukashenko" and first["entities"][0]["mentions"] == 1
    assert second == {**second, "id": "2", "tags": [], "entities": []}


def test_tag_command_reports_bad_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = (
        "not json\n"
        + json.dumps({"id": "x", "text": 5})
        + "\n"
        + json.dumps({"id": "y", "text": "Minsk"})
        + "\n"
    )
    code, out, err = _run(monkeypatch, capsys, ["tag", "--brief"], stdin)
    assert code == 1
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0]["line"] == 1 and "not JSON" in rows[0]["error"]
    assert rows[1] == {"line": 2, "id": "x", "error": "field 'text' must be a string, got int"}
    assert rows[2]["id"] == "y" and rows[2]["tags"] == ["belarus"]
    assert "line 1:" in err and "line 2:" in err


def test_taxonomy_check_command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(monkeypatch, capsys, ["taxonomy", "check", "--quiet"], "")
    assert code == 0 and out.strip().startswith("OK:")
