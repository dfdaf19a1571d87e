"""The ``newsdesk`` command: one Typer group mirroring the facade.

Data goes to stdout (``--json`` on every listing), logs and progress to
stderr. Exit codes: 0 ok, 1 a newsdesk error, 2 usage (a bad argument); either
way one line on stderr. Every argument is bounded where it is declared (ids,
offsets, lengths), so a value the database or the system cannot take is a usage
error, never a traceback.
Heavy modules (the web server, the demo) are imported inside the commands that
need them, so short commands start fast.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import logging
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar

import typer

from newsdesk.config import Settings, declared_settings, effective_settings, load_settings
from newsdesk.core import (
    Newsdesk,
    catalog_attribution,
    catalog_categories,
    cluster_stream,
    extract_inputs,
    grounding_lines,
    make_newsdesk,
    taxonomy,
)
from newsdesk.errors import ConfigError, FileError, NewsdeskError, NotFoundError
from newsdesk.lifetime import leave, stop_signal
from newsdesk.logs import configure_logging
from newsdesk.model import (
    MAX_KEY_CHARS,
    MAX_NAME_CHARS,
    MAX_OFFSET,
    MAX_PASSWORD_CHARS,
    MAX_QUERY_CHARS,
    MAX_QUESTION_CHARS,
    MAX_SOURCE_ID,
    Article,
    ModelState,
    Progress,
    Quote,
    Role,
    Source,
    Story,
    StoryTag,
    Tag,
    UpdateReport,
    as_plain,
    day_start,
)

T = TypeVar("T")

app = typer.Typer(
    name="newsdesk",
    help="newsdesk — a self-hosted news aggregator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sources_app = typer.Typer(help="Subscribe to feeds and manage them.", no_args_is_help=True)
articles_app = typer.Typer(help="Read stored articles.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(articles_app, name="articles")
stories_app = typer.Typer(help="Stories: the same event across publishers and languages.", no_args_is_help=True)
app.add_typer(stories_app, name="stories")
ai_app = typer.Typer(help="The language model's use: calls, tokens, cache hits, fallbacks.", no_args_is_help=True)
app.add_typer(ai_app, name="ai")
users_app = typer.Typer(help="Readers' accounts: create, list, disable, one-time sign-in links.", no_args_is_help=True)
app.add_typer(users_app, name="users")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (listings: one object per line).")]

# -- what the arguments may be: the bounds of model.py, which the web routes check too (web/params.py) ------

MAX_PATH = 4096  # file names, URLs, database URLs: Linux's PATH_MAX
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "AUTO")


def _finite(value: float | None) -> float | None:
    """A number option: NaN and the infinities are no number (a range check lets NaN through)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter("must be a finite number")
    return value


def _at_most(limit: int) -> Callable[[Any], Any]:
    """A Typer callback that refuses a text (or a list of texts) longer than ``limit`` characters."""

    def check(value: str | list[str] | None) -> str | list[str] | None:
        texts = [value] if isinstance(value, str) else value or []
        if any(len(text) > limit for text in texts):
            raise typer.BadParameter(f"longer than {limit} characters")
        return value

    return check


def _log_level(value: str | None) -> str | None:
    if value is not None and value.upper() not in LOG_LEVELS:
        raise typer.BadParameter(f"{value[:20]!r} is not one of {_LEVEL_NAMES}")
    return value


_LEVEL_NAMES = "DEBUG, INFO, WARNING, ERROR or auto"


def _host(value: str | None) -> str | None:
    """A host name or address the resolver can be asked about (no label over 63 characters)."""
    if value is None:
        return None
    try:
        value.encode("idna")
    except UnicodeError as exc:  # a label empty or over 63 characters
        raise typer.BadParameter(f"{value[:40]!r} is not a host name or address") from exc
    return value


SourceId = Annotated[int, typer.Argument(min=1, max=MAX_SOURCE_ID, help="The source's id (see `sources list`).")]
Text = Annotated[str, typer.Argument(callback=_at_most(MAX_KEY_CHARS))]
Port = Annotated[int | None, typer.Option(help="Port to listen on.", min=1, max=65535)]


@dataclasses.dataclass
class _State:
    overrides: dict[str, Any]
    config_file: str | None
    settings: Settings | None = None


def _state(ctx: typer.Context) -> _State:
    state = ctx.find_root().obj
    assert isinstance(state, _State)
    return state


def _settings(ctx: typer.Context, *, log_auto: str = "WARNING") -> Settings:
    """The settings, loaded (and logging configured) once per process. ``log_auto``: the level of the
    ``auto`` log level, WARNING for a command whose output reports what it did, INFO for a server."""
    state = _state(ctx)
    if state.settings is None:
        try:
            settings = load_settings(state.overrides, config_file=state.config_file)
        except UnicodeDecodeError as exc:  # a TOML file that is not UTF-8 text
            raise ConfigError(f"cannot read the configuration file: not UTF-8 text ({exc.reason})") from exc
        try:
            configure_logging(settings.log_level, settings.log_format, auto=log_auto)
        except ValueError as exc:  # NEWSDESK_LOG_LEVEL or newsdesk.toml; the flag is checked by _log_level
            raise ConfigError(f"setting log_level must be one of {_LEVEL_NAMES}") from exc
        state.settings = settings
    return state.settings


@contextmanager
def _desk(ctx: typer.Context) -> Iterator[Newsdesk]:
    desk = make_newsdesk(_settings(ctx))
    try:
        yield desk
    finally:
        desk.close()


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(as_plain(value), ensure_ascii=False) + "\n")


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


def _count(n: int, noun: str) -> str:
    """A number and its noun in agreement: ``1 article``, ``2 articles``, ``1 new story``, ``3 new stories``.

    Every count the CLI prints goes through here; the nouns are its own (English, regular but for -y).
    """
    if n == 1:
        return f"1 {noun}"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "o", "u"):
        return f"{n} {noun[:-1]}ies"
    return f"{n} {noun}s"


def _tags(tags: Iterable[StoryTag | Tag]) -> str:
    """Hashtags as readers write them (``#BarackObama``), never their keys."""
    return " ".join(t.label for t in tags) or "-"


@app.callback()
def main_options(
    ctx: typer.Context,
    data_dir: Annotated[
        str | None, typer.Option(help="Data directory (env NEWSDESK_DATA_DIR).", callback=_at_most(MAX_PATH))
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(help="Database URL, e.g. postgresql://… (env NEWSDESK_DB).", callback=_at_most(MAX_PATH)),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="Path of newsdesk.toml (env NEWSDESK_CONFIG).", exists=True, dir_okay=False, readable=True),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(help="DEBUG, INFO, WARNING, ERROR or auto (INFO for serve and demo).", callback=_log_level),
    ] = None,
) -> None:
    """Global options apply to every command."""
    config_file = None if config is None else str(config)
    ctx.obj = _State(overrides={"data_dir": data_dir, "db": db, "log_level": log_level}, config_file=config_file)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the data directory and the database (safe to run again)."""
    with _desk(ctx) as desk:
        typer.echo(f"newsdesk database ready: {desk.settings.database_url.split('@')[-1]}")


# -- sources ---------------------------------------------------------------------------


def _source_row(s: Source) -> str:
    state = "paused" if s.paused else ("error" if s.last_error else "ok")
    title = (s.title or "")[:40]
    return f"{s.id:>5}  {state:<6}  {title:<40}  {s.url}"


@sources_app.command("add")
def sources_add(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Argument(help="Feed URL, or a site URL whose feed is discovered.", callback=_at_most(MAX_PATH)),
    ] = None,
    catalog: Annotated[
        str | None,
        typer.Option(help="Subscribe to a whole catalog category, e.g. world.", callback=_at_most(MAX_KEY_CHARS)),
    ] = None,
    title: Annotated[
        str | None, typer.Option(help="Title to show instead of the feed's own.", callback=_at_most(MAX_KEY_CHARS))
    ] = None,
    category: Annotated[
        str | None, typer.Option(help="Put the source in this category.", callback=_at_most(MAX_KEY_CHARS))
    ] = None,
    fetch_pages: Annotated[
        bool | None, typer.Option("--fetch-pages/--no-fetch-pages", help="Fetch article pages (default: auto).")
    ] = None,
    discover: Annotated[bool, typer.Option(help="Fetch the URL first to find and check its feed.")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Subscribe to a feed (by feed or site URL) or to a catalog category."""
    if (url is None) == (catalog is None):
        raise typer.BadParameter("give either a URL or --catalog NAME")
    with _desk(ctx) as desk:
        if catalog is not None:
            report = desk.add_catalog(catalog)
            if as_json:
                _print_json(report)
            else:
                typer.echo(f"added {_count(len(report.added), 'source')}, {len(report.existing)} already subscribed")
            return
        assert url is not None
        source = desk.add_source(url, title=title, category=category, fetch_pages=fetch_pages, discover=discover)
        if as_json:
            _print_json(source)
        else:
            typer.echo(f"added source {source.id}: {source.title + ' ' if source.title else ''}{source.url}")


@sources_app.command("list")
def sources_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List subscribed sources with their fetch state."""
    with _desk(ctx) as desk:
        sources = desk.sources()
    if as_json:
        for source in sources:  # one object per line, as every listing prints
            _print_json(source)
        return
    for s in sources:
        typer.echo(_source_row(s))
        if s.last_error:
            typer.echo(f"       last error {_when(s.last_error_at)}: {s.last_error}")
        if s.paused:
            typer.echo(f"       paused: {s.pause_reason or ''}")
        typer.echo(f"       last success {_when(s.last_success_at)}, next check {_when(s.next_check_at)}")


def _on_source(ctx: typer.Context, source_id: int, done: str, act: Callable[[Newsdesk], object]) -> None:
    with _desk(ctx) as desk:
        act(desk)
    typer.echo(f"{done} source {source_id}")


@sources_app.command("remove")
def sources_remove(ctx: typer.Context, source_id: SourceId) -> None:
    """Unsubscribe and delete the source's articles."""
    _on_source(ctx, source_id, "removed", lambda desk: desk.remove_source(source_id))


@sources_app.command("pause")
def sources_pause(
    ctx: typer.Context,
    source_id: SourceId,
    reason: Annotated[str, typer.Option(callback=_at_most(MAX_KEY_CHARS))] = "paused by the user",
) -> None:
    """Stop checking a source until it is resumed."""
    _on_source(ctx, source_id, "paused", lambda desk: desk.pause_source(source_id, reason))


@sources_app.command("resume")
def sources_resume(ctx: typer.Context, source_id: SourceId) -> None:
    """Resume a paused source; it is checked on the next update."""
    _on_source(ctx, source_id, "resumed", lambda desk: desk.resume_source(source_id))


@sources_app.command("import")
def sources_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="OPML file.")],
    as_json: JsonFlag = False,
) -> None:
    """Import subscriptions from OPML (folders become categories); unusable URLs are skipped with the reason."""
    with _desk(ctx) as desk:
        progress, stop = _progress_bar()
        try:
            report = desk.import_opml(file.read_bytes(), progress=progress)
        finally:
            stop()
    if as_json:
        _print_json(report)
    else:
        typer.echo(
            f"imported {_count(len(report.added), 'source')}, {len(report.existing)} already subscribed, "
            f"{len(report.failed)} skipped"
        )
        for refused in report.failed:
            where = f" line {refused.line}" if refused.line is not None else ""
            typer.echo(f"  skipped{where}: {_printable(refused.url)} — {refused.reason}", err=True)


SENTENCE_CHARS = 2000  # a quoted sentence is shown whole (a run-on caption stops somewhere)


def _printable(text: str, limit: int = 200) -> str:
    """Text from a file, safe on a terminal: cut to ``limit`` characters, control and format characters
    (escape sequences, bidirectional overrides) written as ``\\uXXXX``."""
    import unicodedata

    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c)[0] in "CZ" and c != " " else c for c in text)


@sources_app.command("export")
def sources_export(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(dir_okay=False, help="Write here instead of stdout.")] = None,
) -> None:
    """Export subscriptions as OPML."""
    with _desk(ctx) as desk:
        data = desk.export_opml()
    if file is None:
        sys.stdout.buffer.write(data)
        return
    try:
        file.write_bytes(data)
    except OSError as exc:
        raise FileError(str(file), f"cannot write it: {exc.strerror or exc}") from exc


@sources_app.command("catalog")
def sources_catalog(
    ctx: typer.Context,
    kind: Annotated[Literal["topic", "region", "city"] | None, typer.Option(help="Only this kind of category.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the bundled catalog of news feeds (Kagi kite, MIT) by category and region."""
    cats = [c for c in catalog_categories() if kind is None or c.kind == kind]
    if as_json:
        for category in cats:
            _print_json(category)
        return
    for c in cats:
        typer.echo(f"{c.slug:<32} {c.kind:<7} {c.language:<3} {_count(c.feed_count, 'feed'):>10}  {c.name}")
    typer.echo(f"\n{catalog_attribution()}", err=True)


# -- update, articles, stats -----------------------------------------------------------------


def _progress_bar() -> tuple[Progress | None, Callable[[], None]]:
    """A progress callback drawing on stderr when it is a terminal (else none)."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import Progress

    bar = Progress(transient=True, console=None)
    tasks: dict[str, Any] = {}
    bar.start()

    def update(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done, total=total)

    return update, bar.stop


@app.command()
def update(
    ctx: typer.Context,
    all_sources: Annotated[bool, typer.Option("--all", help="Check every source, not only those due.")] = False,
    source: Annotated[
        int | None, typer.Option(help="Check only this source (even if paused).", min=1, max=MAX_SOURCE_ID)
    ] = None,
    feeds_only: Annotated[
        bool, typer.Option(help="Only the feeds: no article pages, no story intelligence (benchmarks).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """One full pass: feeds, article pages and extraction, then stories and tags; then exit.

    Exits 1 when every source it checked failed, or when the database failed (the pass stops,
    and the sources keep the state they had).
    """
    with _desk(ctx) as desk:
        progress, stop = _progress_bar()
        try:
            report = desk.update(all_sources=all_sources, source_id=source, feeds_only=feeds_only, progress=progress)
        finally:
            stop()
        failed = _failed_sources(desk, report) if report.errors and not as_json else {}
    if as_json:
        _print_json(report)  # its errors list the failures
    else:
        _print_update_report(report)
        for url, reason in report.errors:  # one line each, on stderr: the log does not repeat them (INFO)
            typer.echo(f"  failed: {_failure(url, reason, failed.get(url))}", err=True)
    if report.sources_checked and report.sources_failed == report.sources_checked:
        typer.echo(f"error: every source checked failed ({report.sources_failed})", err=True)
        raise typer.Exit(1)


def _failed_sources(desk: Newsdesk, report: UpdateReport) -> dict[str, Source]:
    """The sources the report's failures are of, by URL: their ids and pause state, for the next command."""
    urls = {url for url, _ in report.errors}
    return {s.url: s for s in desk.sources() if s.url in urls}


def _failure(url: str, reason: str, source: Source | None) -> str:
    """``source 3 http://…: HTTP 404 Not Found`` (and, when this failure paused it, how to resume it)."""
    line = f"{_printable(url)}: {_printable(reason)}"
    if source is None:  # its URL changed or it was removed while the pass ran
        return line
    if source.paused:
        line += f" (paused; `newsdesk sources resume {source.id}` checks it again)"
    return f"source {source.id} {line}"


def _print_update_report(report: UpdateReport) -> None:
    typer.echo(
        f"checked {_count(report.sources_checked, 'source')} ({report.sources_not_modified} unchanged, "
        f"{report.sources_failed} failed): {_count(report.articles_new, 'new article')}, "
        f"{report.articles_updated} updated, {_count(report.duplicates, 'duplicate')}; "
        f"{_count(report.pages_fetched, 'page')} extracted, {report.pages_failed} failed; "
        f"{_count(report.articles_enriched, 'article')} enriched, {_count(report.stories_new, 'new story')}"
    )


@app.command()
def enrich(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Embed, fold near-duplicates, cluster into stories, tag and categorize every waiting article."""
    with _desk(ctx) as desk:
        progress, stop = _progress_bar()
        try:
            report = desk.enrich(progress=progress)
        finally:
            stop()
    if as_json:
        _print_json(report)
        return
    typer.echo(
        f"enriched {_count(report.articles, 'article')} in {report.seconds:.1f} s: "
        f"{_count(report.stories_new, 'new story')}, {report.stories_merged} merged, "
        f"{_count(report.near_duplicates, 'near-duplicate')} folded"
    )


@app.command()
def cluster(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="JSON lines: id, title, text, optional published, language, source.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Cluster a stream of articles into stories, in file order (the code path of live ingestion).

    Needs no database. Prints one line per article: its id and its story's id.
    """
    for item_id, story_id in cluster_stream(_settings(ctx), _text_lines(path)):
        if as_json:
            _print_json({"id": item_id, "story": story_id})
        else:
            typer.echo(f"{item_id}\t{story_id}")


def _text_lines(path: Path) -> Iterator[str]:
    """The lines of a UTF-8 text file, read as they are needed; a file that cannot be read, or is not
    UTF-8 text, is one error naming it."""
    try:
        with path.open(encoding="utf-8") as lines:
            yield from lines
    except UnicodeDecodeError as exc:
        raise FileError(str(path), f"not UTF-8 text (byte {exc.start} of a block cannot be decoded)") from exc
    except OSError as exc:
        raise FileError(str(path), f"cannot read it: {exc.strerror or exc}") from exc


@stories_app.command("list")
def stories_list(
    ctx: typer.Context,
    category: Annotated[
        str | None, typer.Option(help="Only this category (World, Politics, …).", callback=_at_most(MAX_KEY_CHARS))
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="Only this region (Europe, Asia, …).", callback=_at_most(MAX_KEY_CHARS))
    ] = None,
    latest: Annotated[bool, typer.Option(help="Most recently active first, instead of the front-page rank.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 30,
    offset: Annotated[int, typer.Option(help="Skip this many stories (the next page).", min=0, max=MAX_OFFSET)] = 0,
    as_json: JsonFlag = False,
) -> None:
    """The front page: top stories now (or the latest, with --latest).

    Category and region names as you type them: science, climate-environment, 'latin america'
    (see `newsdesk categories` and `newsdesk regions`); an unknown one is an error listing the names.
    """
    with _desk(ctx) as desk:
        if latest:
            items = desk.stories(category=category, region=region, limit=limit, offset=offset)
        else:
            items = desk.front_page(category=category, region=region, limit=limit, offset=offset)
    if as_json:
        for story in items:
            _print_json(story)
        return
    for story in items:
        typer.echo(_story_row(story))


def _story_row(story: Story) -> str:
    """One story of a listing, its id first (for `stories show`)."""
    counts = f"{_count(story.article_count, 'article')}, {_count(story.source_count, 'source')}"
    return f"{story.id}  {_when(story.last_seen_at)}  {counts:<25}  [{story.category or '-'}]  {story.headline or '-'}"


def _article_row(a: Article) -> str:
    """One article of a listing, its id first (for `articles show` and `articles related`)."""
    return f"{a.id}  {_when(a.published_at or a.fetched_at)}  {a.source_title or a.source_id}  {a.title or a.url}"


@stories_app.command("show")
def stories_show(ctx: typer.Context, story_id: Text, as_json: JsonFlag = False) -> None:
    """A story's full coverage, as a timeline."""
    with _desk(ctx) as desk:
        detail = desk.story(story_id)
    if as_json:
        _print_json(detail)
        return
    story = detail.story
    languages = ", ".join(f"{k}: {v}" for k, v in story.languages.items()) or "-"
    typer.echo(
        f"{story.headline}\nstory {story.id} · {story.category or '-'} · {', '.join(story.regions) or '-'}\n"
        f"{_count(story.article_count, 'article')} from {_count(story.source_count, 'source')}; "
        f"languages {languages}; tags: {_tags(story.tags)}"
    )
    for a in detail.articles:
        copy = f"  (copy of {a.copy_of})" if a.copy_of else ""
        typer.echo(f"  {a.id}  {_when(a.published_at)}  {a.source_title or a.source_id}  {a.title or a.url}{copy}")


@app.command()
def categories(as_json: JsonFlag = False) -> None:
    """The categories stories are filed under, and the slug each may be named by (`stories list --category`)."""
    _print_taxonomy("category", as_json)


@app.command()
def regions(as_json: JsonFlag = False) -> None:
    """The world regions stories are placed in, and the slug each may be named by (`stories list --region`)."""
    _print_taxonomy("region", as_json)


def _print_taxonomy(kind: Literal["category", "region"], as_json: bool) -> None:
    for entry in taxonomy(kind):
        if as_json:
            _print_json(entry)
        else:
            typer.echo(f"{entry.name:<22}  {entry.slug}")


@app.command()
def topic(
    ctx: typer.Context,
    tag: Annotated[str, typer.Argument(help="A hashtag, with or without '#'.", callback=_at_most(MAX_KEY_CHARS))],
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 30,
    as_json: JsonFlag = False,
) -> None:
    """Latest articles and stories for a hashtag."""
    with _desk(ctx) as desk:
        page = desk.topic(tag, limit=limit)
    if as_json:
        _print_json(page)
        return
    counts = f"{_count(len(page.articles), 'article')}, {_count(len(page.stories), 'story')}"
    typer.echo(f"{page.label or '#' + page.tag}: {counts}")
    for heading, rows in (("stories", map(_story_row, page.stories)), ("articles", map(_article_row, page.articles))):
        lines = list(rows)
        if lines:
            typer.echo(f"{heading}:")
            for line in lines:
                typer.echo(f"  {line}")


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            help='Words; "quoted words" in a row; -word to leave out; OR between two terms.',
            callback=_at_most(MAX_QUERY_CHARS),
        ),
    ],
    source: Annotated[int | None, typer.Option(help="Only this source's articles.", min=1, max=MAX_SOURCE_ID)] = None,
    language: Annotated[
        str | None, typer.Option(help="Only this language (en, fr, …).", callback=_at_most(MAX_KEY_CHARS))
    ] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.", callback=_at_most(MAX_KEY_CHARS))] = None,
    tag: Annotated[
        str | None, typer.Option(help="Only articles with this hashtag.", callback=_at_most(MAX_KEY_CHARS))
    ] = None,
    since: Annotated[datetime | None, typer.Option(help="From this day (UTC).", formats=["%Y-%m-%d"])] = None,
    until: Annotated[datetime | None, typer.Option(help="To this day (UTC), included.", formats=["%Y-%m-%d"])] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    offset: Annotated[int, typer.Option(min=0, max=MAX_OFFSET)] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Full-text search over titles and article text, best first (articles indexed by `update`)."""
    with _desk(ctx) as desk:
        results = desk.search(
            query,
            source_id=source,
            language=language,
            category=category,
            tag=tag,
            since=day_start(since.date() if since else None),
            until=day_start(until.date() if until else None, after=True),
            limit=limit,
            offset=offset,
        )
    if as_json:
        for hit in results.hits:
            _print_json(hit)
        return
    for hit in results.hits:
        typer.echo(
            f"{_when(hit.published_at)}  {_printable(hit.source_title or str(hit.source_id), 40)}  "
            f"{_printable(hit.title or hit.url or '')}  ({hit.article_id})"
        )
    if results.more:
        typer.echo(f"more: --offset {offset + limit}", err=True)


@articles_app.command("related")
def articles_related(
    ctx: typer.Context,
    article_id: Text,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 6,
    as_json: JsonFlag = False,
) -> None:
    """Related reading for an article: other stories close to it, and more of its own story."""
    with _desk(ctx) as desk:
        related = desk.related(article_id, limit=limit)
    if as_json:
        _print_json(related)
        return
    for label, items in (("related", related.other_stories), ("same story", related.same_story)):
        typer.echo(f"{label}:")
        for r in items:
            typer.echo(f"  {r.similarity:.2f}  {r.id}  {r.source_title or '-'}  {r.title or '-'}")


@articles_app.command("list")
def articles_list(
    ctx: typer.Context,
    source: Annotated[int | None, typer.Option(help="Only this source's articles.", min=1, max=MAX_SOURCE_ID)] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    offset: Annotated[int, typer.Option(min=0, max=MAX_OFFSET)] = 0,
    duplicates: Annotated[bool, typer.Option(help="Include exact duplicates.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Newest articles first."""
    with _desk(ctx) as desk:
        items = desk.articles(source_id=source, limit=limit, offset=offset, include_duplicates=duplicates)
    if as_json:
        for a in items:
            _print_json(a)
        return
    for a in items:
        typer.echo(_article_row(a))


@articles_app.command("show")
def articles_show(ctx: typer.Context, article_id: Text, as_json: JsonFlag = False) -> None:
    """One article with its clean text."""
    with _desk(ctx) as desk:
        a = desk.article(article_id)
    if as_json:
        _print_json(a)
        return
    typer.echo(f"{a.title}\n{a.source_title or a.source_id} · {_when(a.published_at)} · {a.url or '-'}")
    typer.echo(f"article {a.id} · story {a.story_id or '-'} · {a.category or '-'} · tags: {_tags(a.tags)}\n")
    typer.echo(a.text or a.extraction_reason or "")


ExtractiveFlag = Annotated[
    bool, typer.Option("--extractive", help="The extractive feature even when a language model is configured.")
]


@app.command()
def summarize(ctx: typer.Context, item_id: Text, extractive: ExtractiveFlag = False, as_json: JsonFlag = False) -> None:
    """An article's or a story's summary and key points: their own sentences, each with where it is; with a
    language model configured, the model's summary (each sentence checked against its sources) first."""
    with _desk(ctx) as desk:
        result = _for_article_or_story(
            desk, item_id, lambda: desk.summary(desk.article(item_id)), lambda: desk.story_summary(item_id)
        )
        written = None if extractive else _model_output(desk, item_id, "summary", "story_summary")
    if as_json:
        _print_json({**as_plain(result), "model": as_plain(written)} if written is not None else result)
        return
    if written is not None:
        _echo_model(written)
    if not result.sentences:
        typer.echo("too little text for a summary")
        return
    many = len({q.article_id for q in result.sentences + result.key_points}) > 1
    typer.echo(f"summary ({result.method}):")
    for q in result.sentences:
        typer.echo(f"  {_quote_line(q, many)}")
    if result.key_points:
        typer.echo("key points:")
        for q in result.key_points:
            typer.echo(f"  - {_quote_line(q, many)}")


@app.command()
def ask(
    ctx: typer.Context,
    item_id: Text,
    question: Annotated[str, typer.Argument(help="The question, in any language the embedder reads.")],
    extractive: ExtractiveFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """The sentences of an article (or a story's articles) that answer a question, or "not found"."""
    if len(question) > MAX_QUESTION_CHARS:
        raise typer.BadParameter(f"at most {MAX_QUESTION_CHARS} characters", param_hint="QUESTION")
    with _desk(ctx) as desk:
        answer = _for_article_or_story(
            desk, item_id, lambda: desk.ask(item_id, question), lambda: desk.ask_story(item_id, question)
        )
        written = None if extractive else _model_output(desk, item_id, "answer", "answer", question=question)
    if as_json:
        model = {"model": as_plain(written)} if written is not None else {}
        _print_json({**as_plain(answer), "found": answer.found, **model})
        return
    if written is not None:
        _echo_model(written)
    if not answer.found:
        typer.echo("not found in these articles")
        raise typer.Exit(1)
    many = len({q.article_id for q in answer.quotes}) > 1
    for q in answer.quotes:
        typer.echo(_quote_line(q, many))


@ai_app.command("stats")
def ai_stats(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=1, max=3660, help="How many days back.")] = 30,
    as_json: JsonFlag = False,
) -> None:
    """The language model's use per day (UTC), newest first: calls, failures, tokens, cache hits, fallbacks to
    the extractive features, sentences kept and rejected by the grounding check, sources kept out."""
    with _desk(ctx) as desk:
        rows = desk.ai_usage(days)
        model, budget = desk.model_name, desk.settings.llm_daily_tokens
    if as_json:
        for row in rows:
            _print_json(row)
        return
    typer.echo(f"model: {model or 'none (extractive features only)'}; daily budget: {budget} tokens", err=True)
    columns = ("calls", "failures", "prompt_tokens", "completion_tokens", "cache_hits", "fallbacks", "kept", "rejected")
    typer.echo("day         " + " ".join(f"{c:>17}" for c in (*columns, "quarantined")))
    for row in rows:
        typer.echo(f"{row['day']:<11} " + " ".join(f"{row[c]:>17}" for c in (*columns, "quarantined")))


@app.command()
def grounding(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help='JSON lines {"id", "source", "sentence"}; - reads standard input.')],
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, callback=_finite, help="Supported at or above this score (default: the checker's, 0.75)."
        ),
    ] = None,
    as_json: JsonFlag = True,
) -> None:
    """Is each sentence supported by its source (an article's text)? One JSON line out per line in:
    {"id", "supported", "score"}. Exits 1 when a line could not be read (its line says why)."""
    failed = 0
    lines = sys.stdin if str(file) == "-" else _text_lines(file)
    for result in grounding_lines(_settings(ctx), lines, threshold):
        if as_json:
            _print_json(result)
        else:
            verdict = result["error"] if "error" in result else f"{result['supported']}\t{result['score']}"
            typer.echo(f"{result['id']}\t{verdict}")
        failed += "error" in result
    if failed:
        typer.echo(f"error: {failed} lines could not be read", err=True)
        raise typer.Exit(1)


@app.command()
def brief(ctx: typer.Context, story_id: Text, as_json: JsonFlag = False) -> None:
    """A story's brief: what its sources agree on, what only some report, where their numbers differ, and how
    it was reported, every line a sentence of an article with the article's id."""
    with _desk(ctx) as desk:
        result, _ = desk.story_brief(story_id)
    if as_json:
        _print_json(result)
        return
    typer.echo(f"{result.articles_read} articles by {result.publishers_read} publishers ({result.method})")
    for title, lines in (("agreed", result.agreed), ("only some report", result.partial)):
        if lines:
            typer.echo(f"{title}:")
            for line in lines:
                names = ", ".join(q.source_title or "?" for q in line.quotes)
                typer.echo(f"  - {_printable(line.text, SENTENCE_CHARS)}  [{_printable(names)}]")
    if result.disputed:
        typer.echo("where they differ:")
        for d in result.disputed:
            typer.echo(
                f"  - {d.about}: {_printable(d.first.source_title or '?')} says {d.first_says} ({d.first.article_id}), "
                f"{_printable(d.second.source_title or '?')} says {d.second_says} ({d.second.article_id})"
            )
    if result.timeline:
        typer.echo("as reported:")
        for q in result.timeline:
            typer.echo(f"  {_when(q.published_at)}  {_printable(q.source_title or '?')}: {_printable(q.text, 300)}")


def _for_article_or_story(desk: Newsdesk, item_id: str, of_article: Callable[[], T], of_story: Callable[[], T]) -> T:
    """An article's result when ``item_id`` is an article's, else the story's (NotFoundError when neither)."""
    try:
        return of_article()
    except NotFoundError:
        return of_story()


def _model_output(
    desk: Newsdesk, item_id: str, article_feature: str, story_feature: str, question: str | None = None
) -> ModelState | None:
    """The model's feature of the article (or story), waited for; None without a model."""
    if desk.model_name is None:
        return None
    return _for_article_or_story(
        desk,
        item_id,
        lambda: desk.model_feature("article", item_id, article_feature, question=question, wait=True),
        lambda: desk.model_feature("story", item_id, story_feature, question=question, wait=True),
    )


def _echo_model(state: ModelState) -> None:
    """The model's output, each sentence with the numbers of the source sentences behind it, or why there is none."""
    if state.output is None:
        typer.echo(f"{state.model}: {state.reason or state.state}; the extractive answer follows", err=True)
        return
    out = state.output
    typer.echo(f"{out.feature} by {out.model} (every sentence checked against its sources):")
    if out.not_found:
        typer.echo("  not found in these articles")
    for sentence in out.sentences:
        where = ", ".join(f"{q.article_id} #{q.index + 1}" for q in sentence.quotes)
        typer.echo(f"  {_printable(sentence.text, SENTENCE_CHARS)}  [{where}]")
    if out.rejected or out.quarantined:
        typer.echo(f"  ({out.rejected} sentences left out: unsupported; {out.quarantined} sources kept out)")
    typer.echo("extractive:")


def _quote_line(q: Quote, with_article: bool) -> str:
    """A quoted sentence with where it is: its number in its article, and the article when quotes come from several."""
    where = f"{_printable(q.source_title or '?', 60)} {q.article_id} #{q.index + 1}" if with_article else q.index + 1
    return f"[{where}] {_printable(q.text, SENTENCE_CHARS)}"


@app.command()
def extract(
    ctx: typer.Context,
    inputs: Annotated[list[str], typer.Argument(help="HTML files or http(s) URLs.", callback=_at_most(MAX_PATH))],
    url: Annotated[
        str | None, typer.Option(help="The page's URL, for files (resolves links).", callback=_at_most(MAX_PATH))
    ] = None,
    as_json: JsonFlag = True,
) -> None:
    """Extract clean text and metadata; one JSON line per input, in input order.

    Exits 1 when any input failed (its line carries the reason in ``error``).
    """
    failed = 0
    for result in extract_inputs(_settings(ctx), inputs, url=url):
        _print_json(result)
        failed += result.get("error") is not None
    if failed:
        typer.echo(f"error: {failed} of {len(inputs)} inputs failed", err=True)
        raise typer.Exit(1)


@app.command()
def stats(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Counts of sources, articles and errors."""
    with _desk(ctx) as desk:
        s = desk.stats()
    if as_json:
        _print_json(s)
        return
    for key, value in as_plain(s).items():
        typer.echo(f"{key:<20} {value}")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on.", callback=_host)] = None,
    port: Port = None,
) -> None:
    """Run the scheduler and the JSON API until stopped."""
    state = _state(ctx)
    state.overrides.update(host=host, port=port)
    from newsdesk.web.server import serve as run_server

    run_server(_listening_settings(ctx))


@app.command()
def demo(
    ctx: typer.Context,
    port: Annotated[
        int | None,
        typer.Option(help="Port of the newsdesk server (default: the port setting, 8000).", min=1, max=65535),
    ] = None,
) -> None:
    """Start newsdesk on a bundled offline demo, at http://127.0.0.1:PORT.

    Real news, no network: Wikipedia "In the news" blurbs in some thirty languages and English Wikinews
    articles, served by a local demo site and read through the whole pipeline. The demo's database is kept
    in DATA_DIR/demo (default ~/.local/share/newsdesk/demo), started afresh each run and kept after Ctrl-C;
    point the CLI at it with NEWSDESK_DATA_DIR=DATA_DIR/demo (the exact line is printed at start).
    """
    from newsdesk.demo.run import run_demo

    state = _state(ctx)
    state.overrides.update(port=port)  # None: NEWSDESK_PORT or newsdesk.toml decide
    _listening_settings(ctx)  # the demo reads the settings again, for a data directory of its own
    run_demo(state.overrides, state.config_file)


def _listening_settings(ctx: typer.Context) -> Settings:
    """The settings of a command that listens, with the address checked as the flags are checked (it
    may come from NEWSDESK_HOST, NEWSDESK_PORT or newsdesk.toml)."""
    settings = _settings(ctx, log_auto="INFO")  # a server's log is what it reports
    if not 1 <= settings.port <= 65535:
        raise ConfigError(f"setting port must be between 1 and 65535, got {settings.port}")
    try:
        _host(settings.host)
    except typer.BadParameter as exc:
        raise ConfigError(f"setting host: {exc.format_message()}") from exc
    return settings


UserName = Annotated[str, typer.Argument(callback=_at_most(MAX_NAME_CHARS), help="The account's name.")]


def _read_password() -> str:
    """The new password: asked twice on a terminal, else the first line of standard input (for scripts)."""
    try:
        if sys.stdin.isatty():
            return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
        line = sys.stdin.readline(MAX_PASSWORD_CHARS + 2)
    except (OSError, ValueError) as exc:  # no standard input to read (closed, or not a file)
        raise FileError("<stdin>", f"cannot read the password from it ({exc.__class__.__name__})") from exc
    return line.removesuffix("\n").removesuffix("\r")


@users_app.command("create")
def users_create(
    ctx: typer.Context,
    name: UserName,
    admin: Annotated[bool, typer.Option("--admin", help="Make the account an admin.")] = False,
    moderator: Annotated[bool, typer.Option("--moderator", help="Make the account a moderator.")] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password: the account signs in with `users reset-link`.")
    ] = False,
) -> None:
    """Create an account. The password is read from standard input when it is not a terminal."""
    if admin and moderator:
        raise typer.BadParameter("--admin or --moderator, not both")
    role = Role.ADMIN if admin else Role.MODERATOR if moderator else Role.READER
    with _desk(ctx) as desk:  # the settings and the database first: no password asked for in vain
        password = None if no_password else _read_password()
        user = desk.create_user(name, password, role)
    typer.echo(f"created {user.role.value} {user.name} (id {user.id})")


@users_app.command("list")
def users_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the accounts, oldest first."""
    with _desk(ctx) as desk:
        users = desk.users()
    for user in users:
        if as_json:
            _print_json(user)
            continue
        state = " (disabled)" if user.disabled else ""
        typer.echo(f"{user.id:>6}  {user.name:<20} {user.role.value:<9} since {_when(user.created_at)}{state}")


@users_app.command("disable")
def users_disable(ctx: typer.Context, name: UserName) -> None:
    """Disable an account: it cannot sign in, and its sessions end at once."""
    with _desk(ctx) as desk:
        user = desk.set_user_disabled(name, True)
    typer.echo(f"disabled {user.name}")


@users_app.command("enable")
def users_enable(ctx: typer.Context, name: UserName) -> None:
    """Enable a disabled account again."""
    with _desk(ctx) as desk:
        user = desk.set_user_disabled(name, False)
    typer.echo(f"enabled {user.name}")


@users_app.command("reset-link")
def users_reset_link(ctx: typer.Context, name: UserName) -> None:
    """Print a one-time sign-in link for the account (valid 24 hours): hand it over; no e-mail needed."""
    with _desk(ctx) as desk:
        typer.echo(desk.sign_in_link(name))


@app.command("config")
def config_cmd(
    ctx: typer.Context,
    as_json: JsonFlag = False,
    markdown: Annotated[bool, typer.Option(help="Print the settings reference as Markdown.")] = False,
) -> None:
    """Show the effective settings (secrets masked)."""
    if markdown:
        sys.stdout.write(settings_markdown())
        return
    settings = _settings(ctx)
    rows = effective_settings(settings)
    if as_json:
        _print_json({info.name: value for info, value in rows})
        return
    for info, value in rows:
        typer.echo(f"{info.name:<28} {value!s:<40} [{info.env_var}]")


def settings_markdown() -> str:
    """docs/configuration.md, generated from the declarations in config.py."""
    lines = [
        "# Configuration",
        "",
        "Generated by `newsdesk config --markdown` from `src/newsdesk/config.py`; do not edit by hand.",
        "",
        "Precedence, lowest first: defaults → `newsdesk.toml` (in the data directory, or `NEWSDESK_CONFIG`; "
        "keys as below, optionally under a `[newsdesk]` table) → environment variables → command-line flags.",
        "",
        "| setting | env | type | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for info in declared_settings():
        default = "" if info.default == "" else f"`{info.default}`"
        help_text = info.help + (" (secret: masked in `newsdesk config`)" if info.secret else "")
        lines.append(f"| `{info.name}` | `{info.env_var}` | {info.type_name} | {default} | {help_text} |")
    return "\n".join([*lines, *_FIXED_LIMITS]) + "\n"


# Limits that are not settings, for the same page (tests/test_config.py checks them against the code).
_FIXED_LIMITS = [
    "",
    "## Fixed limits on what a feed or a page may bring",
    "",
    "Not settings: bounds that keep one hostile feed from costing readers or the server much.",
    "",
    "| what | limit | what a reader sees |",
    "|---|---|---|",
    "| a title | 300 characters | cut at a word, ending in “…” |",
    "| an article's text (HTML) | 250000 characters | the start, “…”, then the link to read it at the source |",
    "| a summary beside the full text, a page's description | 10000 characters | cut at a word, ending in “…” |",
    "| authors, categories of an entry | 200 characters each, 50 each | the first 50 |",
    "| nesting of HTML elements | 256 open elements (then 64 kept) | deeper words run on inside the last level kept |",
    "| CPU time for one feed (parse, sanitize, normalize) | 10 s | the feed fails with “the feed took too long"
    " to process”, and is checked again later |",
]


def main() -> None:
    """Entry point: an error is one line on stderr, ``error: …``; a usage error (a bad argument, option
    or command) exits 2, a newsdesk error 1.

    Typer runs outside its standalone mode, so that its usage errors are raised to here rather than
    printed in a box of five lines. The process then ends with ``os._exit``: every command has closed
    its database and joined its workers by the time ``app()`` returns, and tearing down the
    interpreter's modules one by one would add ≈0.1 s to every command (a fifth of a poll of 304s).
    """
    code: int | str | None = 0
    try:
        if any("\x00" in arg for arg in sys.argv[1:]):  # no shell passes one, a caller from Python can
            raise typer.BadParameter("an argument holds a NUL character")
        result = app(standalone_mode=False)  # a command's return value, or the code it exited with
        code = result if isinstance(result, int) else 0
    except NewsdeskError as exc:
        typer.echo(f"error: {exc.reason}", err=True)
        code = 1
    except typer.TyperException as exc:  # Typer's usage errors (exit code 2)
        code = exc.exit_code
        if message := exc.format_message():  # empty for a group named without a command: its help is printed
            typer.echo(f"error: {message}{_help_hint(exc)}", err=True)
    except typer.Abort:
        typer.echo("Aborted!", err=True)
        code = 1
    except SystemExit as exc:  # a command that called sys.exit (uvicorn, when it cannot listen)
        code = exc.code
    if (stopped := stop_signal(code)) is not None:  # Ctrl-C or SIGTERM: work stopped in order; leave() ends by it
        typer.echo(f"stopped by {stopped.name}", err=True)
        code = 128 + stopped
    _exit_now(code)


def _help_hint(exc: typer.TyperException) -> str:
    """`` (see 'newsdesk sources add --help')`` for an error met while parsing a command's arguments."""
    ctx = getattr(exc, "ctx", None)
    return f" (see '{ctx.command_path} --help')" if ctx is not None else ""


def _exit_now(code: int | str | None) -> NoReturn:
    """Run atexit handlers, shut logging down and flush the streams, then leave at once."""
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    leave(code or 0)  # os._exit, or the stop signal (lifetime.py)


if __name__ == "__main__":
    main()
