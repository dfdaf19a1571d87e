"""The `newsdesk` command as a user runs it: real processes, stdout vs stderr, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA, require_shared


def run(data: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "NEWSDESK_DB"}
    full_env = base | {"NEWSDESK_LOG_LEVEL": "WARNING"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,  # the exit code is what these tests check
    )


def json_lines(out: str) -> list[dict[str, object]]:
    """A listing's --json output: one JSON object per line."""
    return [json.loads(line) for line in out.splitlines()]


def test_init_stats_and_config(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    assert (tmp_path / "newsdesk.db").exists()
    stats = run(tmp_path, "stats", "--json")
    assert stats.returncode == 0 and stats.stderr == ""
    data = json.loads(stats.stdout)
    assert {"sources", "articles", "articles_with_text", "source_errors"} <= set(data)
    cfg = run(tmp_path, "config", "--json", env={"NEWSDESK_DB": "postgresql://me:s3cret@db.example/news"})
    assert cfg.returncode == 0
    assert "s3cret" not in cfg.stdout and json.loads(cfg.stdout)["db"] == "postgresql://me:***@db.example/news"


@pytest.mark.slow  # a dozen real command processes, end to end
def test_sources_lifecycle_and_opml_round_trip(tmp_path: Path) -> None:
    add = run(
        tmp_path, "sources", "add", "https://news.example/feed.xml", "--no-discover", "--category", "World", "--json"
    )
    assert add.returncode == 0, add.stderr
    source = json.loads(add.stdout)
    assert source["url"] == "https://news.example/feed.xml" and source["category"] == "World"
    again = run(tmp_path, "sources", "add", "https://news.example/feed.xml", "--no-discover")
    assert again.returncode == 1 and again.stderr.startswith("error: already subscribed")
    sid = str(source["id"])
    assert run(tmp_path, "sources", "pause", sid, "--reason", "too noisy").returncode == 0
    listed = json_lines(run(tmp_path, "sources", "list", "--json").stdout)
    assert listed[0]["paused"] is True and listed[0]["pause_reason"] == "too noisy"
    assert run(tmp_path, "sources", "resume", sid).returncode == 0
    exported = run(tmp_path, "sources", "export")
    assert exported.returncode == 0 and "https://news.example/feed.xml" in exported.stdout
    opml = tmp_path / "subs.opml"
    opml.write_text(exported.stdout)
    other = tmp_path / "other"
    imported = run(other, "sources", "import", str(opml), "--json")
    assert imported.returncode == 0, imported.stderr
    assert [s["url"] for s in json.loads(imported.stdout)["added"]] == ["https://news.example/feed.xml"]
    assert json_lines(run(other, "sources", "list", "--json").stdout)[0]["category"] == "World"
    assert run(tmp_path, "sources", "remove", sid).returncode == 0
    missing = run(tmp_path, "sources", "remove", sid)
    assert missing.returncode == 1 and "no source with id" in missing.stderr


@pytest.mark.slow  # a dozen real command processes, end to end
def test_catalog_listing_and_subscribe(tmp_path: Path) -> None:
    cat = run(tmp_path, "sources", "catalog", "--json")
    assert cat.returncode == 0
    slugs = {c["slug"] for c in json_lines(cat.stdout)}
    assert {"world", "europe", "usa-texas"} <= slugs
    added = run(tmp_path, "sources", "add", "--catalog", "usa-texas", "--json")
    assert added.returncode == 0, added.stderr
    report = json.loads(added.stdout)
    assert len(report["added"]) > 10 and all(s["category"] == "USA | Texas" for s in report["added"])
    bad = run(tmp_path, "sources", "add", "--catalog", "germny")
    assert bad.returncode == 1 and "did you mean" in bad.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run(tmp_path, "sources", "remove", "not-a-number").returncode == 2
    assert run(tmp_path, "no-such-command").returncode == 2
    both = run(tmp_path, "sources", "add")
    assert both.returncode == 2 and "URL" in both.stderr


def test_errors_are_one_line_never_a_traceback(tmp_path: Path) -> None:
    """Issue 12 §3, as a user meets it: an id past 64 bits, a file that is not there, a data directory that
    cannot be made. (tests/test_cli_hostile.py runs every command with hostile arguments, in-process.)"""
    huge = run(tmp_path, "sources", "remove", "99999999999999999999")
    assert huge.returncode == 2 and huge.stderr == (
        "error: Invalid value for 'source_id': 99999999999999999999 is not in the range 1<=x<=2147483647. "
        "(see 'python -m newsdesk.cli sources remove --help')\n"
    )
    missing = run(tmp_path, "cluster", str(tmp_path / "missing.jsonl"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "does not exist" in missing.stderr
    read_only = run(Path("/proc/newsdesk-test/data"), "stats")  # nothing can be created under /proc, even by root
    assert read_only.returncode == 1 and read_only.stderr.count("\n") == 1
    assert read_only.stderr.startswith("error: cannot create the data directory /proc/newsdesk-test/data")


@pytest.mark.slow  # a dozen real command processes, end to end
def test_extract_many_inputs_one_json_line_each(tmp_path: Path) -> None:
    pages = require_shared(SHARED_DATA / "wikinews-fr-keyphrases" / "documents")
    files = sorted(pages.glob("*.html"))[:3]
    missing = tmp_path / "missing.html"
    out = run(tmp_path, "extract", *map(str, files), str(missing), "--url", "https://fr.wikinews.org/wiki/X")
    assert out.returncode == 1 and out.stderr == "error: 1 of 4 inputs failed\n"  # one input failed: exit 1
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["input"] for line in lines] == [*map(str, files), str(missing)]
    keys = {"input", "title", "text", "authors", "published", "language", "image", "url", "description", "error"}
    assert all(set(line) == keys for line in lines)  # one shape for every line, failures included
    for line in lines[:3]:
        assert line["error"] is None
        assert line["language"] == "fr" and len(line["text"]) > 200
    assert "cannot read file" in lines[3]["error"] and lines[3]["text"] is None


@pytest.mark.parametrize("flag", ["--help", "sources --help"])
def test_help(tmp_path: Path, flag: str) -> None:
    out = run(tmp_path, *flag.split())
    assert out.returncode == 0 and "Usage" in out.stdout


def test_help_names_the_environment_variables(tmp_path: Path) -> None:
    shown = run(tmp_path, "--help", env={"COLUMNS": "160"})
    assert shown.returncode == 0
    for variable in ("NEWSDESK_DATA_DIR", "NEWSDESK_DB", "NEWSDESK_CONFIG"):
        assert variable in shown.stdout, variable
    demo = run(tmp_path, "demo", "--help", env={"COLUMNS": "160"})
    assert demo.returncode == 0 and "the port setting" in demo.stdout
