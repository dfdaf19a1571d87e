"""The `newsdesk` command as a user runs it: real processes, stdout vs stderr, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA, require_shared


def run(
    data: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "NEWSDESK_DB"}
    full_env = base | {"NEWSDESK_LOG_LEVEL": "WARNING"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=input,
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


# -- issue 13: what a new user met --------------------------------------------------------------------


def test_a_first_command_prints_no_log_line_and_config_shows_the_data_dir(tmp_path: Path) -> None:
    """A new user: no NEWSDESK_* variables, no --data-dir, a fresh home directory."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "XDG_"))} | {"HOME": str(home)}

    def newsdesk(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "newsdesk.cli", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)

    data_dir = home / ".local" / "share" / "newsdesk"  # the platform's user data directory (XDG on Linux)
    first = newsdesk("stats")  # creates and migrates the database: an internal event, not the user's business
    assert first.returncode == 0 and first.stderr == "" and "articles" in first.stdout
    assert (data_dir / "newsdesk.db").exists()
    added = newsdesk("sources", "add", "https://news.example/feed.xml", "--no-discover")
    assert added.returncode == 0 and added.stderr == ""  # the command's own line says it, once
    assert added.stdout == "added source 1: https://news.example/feed.xml\n"
    shown = json.loads(newsdesk("config", "--json").stdout)
    assert shown["data_dir"] == str(data_dir) and shown["db"] == f"sqlite:///{data_dir / 'newsdesk.db'}"
    assert shown["log_level"] == "auto"
    text = newsdesk("config").stdout.splitlines()
    assert text[0].split()[:2] == ["data_dir", str(data_dir)]


@pytest.fixture
def feeds() -> Iterator[str]:
    """A loopback feed server: /good.xml has one entry, /gone.xml is a 404, /broken.xml a 500."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title><item><title>Budget passed</title>'
        b"<link>http://127.0.0.1/budget</link><guid>budget</guid><description>The council passed the budget."
        b"</description></item></channel></rss>"
    )

    class Feeds(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = {"/good.xml": 200, "/gone.xml": 404}.get(self.path, 500)
            body = rss if status == 200 else b"no feed here"
            self.send_response(status)
            self.send_header("Content-Type", "application/rss+xml" if status == 200 else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.slow  # eight real command processes, on each database
def test_update_prints_each_failure_once_and_fails_when_nothing_succeeded(
    tmp_path: Path, db_url: str, feeds: str
) -> None:
    env = {"NEWSDESK_DB": db_url, "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1", "NEWSDESK_LOG_LEVEL": "auto"}
    gone, broken = f"{feeds}/gone.xml", f"{feeds}/broken.xml"
    ids = {}
    for url in (gone, broken):
        added = run(tmp_path, "sources", "add", url, "--no-discover", "--json", env=env)
        ids[url] = json.loads(added.stdout)["id"]
    failed = run(tmp_path, "update", "--all", "--feeds-only", env=env)
    assert failed.returncode == 1, failed.stderr
    assert failed.stdout.startswith("checked 2 sources (0 unchanged, 2 failed): 0 new articles,")
    lines = failed.stderr.splitlines()
    assert sorted(lines[:2]) == [
        f"  failed: source {ids[gone]} {gone}: HTTP 404 Not Found",
        f"  failed: source {ids[broken]} {broken}: HTTP 500 Internal Server Error",
    ]
    assert lines[2:] == ["error: every source checked failed (2)"]  # and no log line repeats a failure

    good = json.loads(run(tmp_path, "sources", "add", f"{feeds}/good.xml", "--no-discover", "--json", env=env).stdout)
    partly = run(tmp_path, "update", "--all", "--feeds-only", env=env)
    assert partly.returncode == 0, partly.stderr  # something succeeded
    assert partly.stdout.startswith("checked 3 sources (0 unchanged, 2 failed): 1 new article, 0 updated,")
    assert sorted(partly.stderr.splitlines()) == sorted(lines[:2])
    as_json = run(tmp_path, "update", "--all", "--feeds-only", "--json", env=env)
    assert as_json.returncode == 0 and as_json.stderr == ""  # the report's errors list the failures
    assert sorted(url for url, _ in json.loads(as_json.stdout)["errors"]) == sorted([broken, gone])
    listed = run(tmp_path, "articles", "list", "--source", str(good["id"]), env=env).stdout.splitlines()
    assert (
        len(listed) == 1
        and listed[0].split()[0] == json_lines(run(tmp_path, "articles", "list", "--json", env=env).stdout)[0]["id"]
    )


@pytest.mark.slow  # a dozen real command processes, on each database
def test_names_ids_labels_and_counts(tmp_path: Path, db_url: str) -> None:
    """`--category science` works, an unknown name is one line listing the names (exit 1); listings lead with
    the ids the next command takes; tags are labels; one article, one story."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from newsdesk.core import make_newsdesk
    from tests.conftest import test_settings
    from tests.test_names import CATEGORY_NAMES, seed_stories

    settings = replace(test_settings(tmp_path), db=db_url)
    with make_newsdesk(settings) as desk:
        seeded = seed_stories(desk, datetime.now(UTC))
    data, env = Path(settings.data_dir), {"NEWSDESK_DB": db_url}

    def ok(*args: str) -> str:
        out = run(data, *args, env=env)
        assert out.returncode == 0 and out.stderr == "", (args, out.stderr)
        return out.stdout

    assert [c["name"] for c in json_lines(ok("categories", "--json"))] == CATEGORY_NAMES
    assert ["Climate/Environment", "climate-environment"] in [line.split() for line in ok("categories").splitlines()]
    assert len(json_lines(ok("regions", "--json"))) == 7
    for name in ("science", "SCIENCE", "Science"):
        assert [line.split()[0] for line in ok("stories", "list", "--category", name).splitlines()] == [seeded.science]
    for name in ("climate-environment", "Climate/Environment"):
        rows = ok("stories", "list", "--latest", "--category", name).splitlines()
        assert len(rows) == 1 and rows[0].startswith(seeded.climate) and "2 articles, 2 sources" in rows[0]
    assert "1 article, 1 source" in ok("stories", "list", "--region", "latin-america")
    unknown = run(data, "stories", "list", "--category", "asia", env=env)
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert unknown.stderr == (
        "error: there is no category 'asia'; the category names are: " + ", ".join(CATEGORY_NAMES) + "\n"
    )
    ranked = [s["id"] for s in json_lines(ok("stories", "list", "--json"))]
    assert (
        len(ranked) == 3
        and [s["id"] for s in json_lines(ok("stories", "list", "--offset", "1", "--json"))] == (ranked[1:])
    )

    shown = ok("stories", "show", seeded.climate)
    assert "#BarackObama" in shown and "#barackobama" not in shown and "2 articles from 2 sources" in shown
    timeline = [line.split()[0] for line in shown.splitlines() if line.startswith("  ")]
    assert len(timeline) == 2
    article = ok("articles", "show", timeline[0])  # an id the listing printed is one the next command takes
    assert f"article {timeline[0]} · story {seeded.climate} · Climate/Environment · tags: #BarackObama" in article
    listed = [line.split()[0] for line in ok("articles", "list").splitlines()]
    assert sorted(listed) == sorted([*timeline, seeded.science, seeded.world])
    topic = ok("topic", "#BarackObama").splitlines()
    assert topic[0] == "#BarackObama: 2 articles, 1 story"
    assert f"  {seeded.climate}" in "\n".join(topic) and not any("##" in line for line in topic)
