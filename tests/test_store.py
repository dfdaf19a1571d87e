"""The storage contract, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from newsdesk.errors import NotFoundError, SourceExistsError, StorageError
from newsdesk.model import (
    ArticleDraft,
    ArticleUpdate,
    DraftAction,
    Extracted,
    ExtractionStatus,
    FeedUpdate,
    PageResult,
)
from newsdesk.store import SqlStorage, open_storage
from newsdesk.store.schema import complete_metadata
from newsdesk.store.search import is_index_table

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def draft(source_id: int, guid: str, **kw: object) -> ArticleDraft:
    base = ArticleDraft(
        id=f"{source_id}-{guid}",
        source_id=source_id,
        guid=guid,
        url=f"https://example.com/{guid}",
        canonical_url=f"https://example.com/{guid}",
        title=f"Title {guid}",
        authors=("Ann Author",),
        published_at=NOW - timedelta(hours=1),
        updated_at=None,
        summary="<p>summary</p>",
        content_html="<p>summary</p>",
        text="summary",
        image_url=None,
        categories=("World",),
        word_count=1,
        content_hash=None,
        entry_hash=f"h-{guid}",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def ok_update(source_id: int, *drafts: ArticleDraft, **kw: object) -> FeedUpdate:
    return FeedUpdate(
        source_id=source_id,
        checked_at=NOW,
        next_check_at=NOW + timedelta(hours=1),
        check_interval_s=3600.0,
        ok=True,
        etag='"v1"',
        title="Feed title",
        drafts=drafts,
        **kw,  # type: ignore[arg-type]
    )


def insert(d: ArticleDraft, status: ExtractionStatus = ExtractionStatus.PENDING, **kw: object) -> ArticleUpdate:
    return ArticleUpdate(draft=d, action=DraftAction.INSERT, extraction_status=status, **kw)  # type: ignore[arg-type]


def _not_a_search_index(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
    return not is_index_table(table or "")


# Neither SQLAlchemy (on SQLite) nor Alembic compares expression indexes; the test below checks that one.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping")
def test_migrated_schema_matches_metadata(storage: SqlStorage) -> None:
    with storage.engine.connect() as conn:
        # the search index's tables are dialect-specific (FTS5, tsvector): the metadata cannot describe them
        context = MigrationContext.configure(conn, opts={"include_object": _not_a_search_index})
        diff = compare_metadata(context, complete_metadata())
    assert diff == []
    storage.migrate()  # a second run is a no-op
    assert storage.current_revision() is not None


def test_new_sqlite_database_uses_wal_and_16k_pages(tmp_path: Path) -> None:
    storage = SqlStorage(f"sqlite:///{tmp_path / 'new.db'}")
    storage.migrate()
    with storage.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 16384
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # Full-text search (a later capability) will index articles with FTS5: the SQLite newsdesk
        # runs on must have it compiled in.
        conn.exec_driver_sql("CREATE VIRTUAL TABLE temp.fts_probe USING fts5(title, text)")
        conn.exec_driver_sql("INSERT INTO temp.fts_probe VALUES ('Budget vote', 'The council passed the budget')")
        hits = conn.exec_driver_sql("SELECT title FROM temp.fts_probe WHERE fts_probe MATCH 'council'").all()
        assert [h[0] for h in hits] == ["Budget vote"]
    storage.close()


def test_articles_are_listed_newest_first_through_the_time_index(storage: SqlStorage) -> None:
    """Listings order by coalesce(published_at, fetched_at): the expression index must serve them."""
    with storage.engine.connect() as conn:
        if storage.dialect == "sqlite":
            plan = " ".join(
                str(row[-1])
                for row in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT id FROM articles "
                    "ORDER BY coalesce(articles.published_at, articles.fetched_at) DESC LIMIT 50"
                )
            )
            assert "ix_articles_when" in plan and "TEMP B-TREE" not in plan, plan
        else:
            names = {r[0] for r in conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE tablename='articles'")}
            assert "ix_articles_when" in names and "ix_articles_published_at" not in names


def test_sources_add_find_list_remove(storage: SqlStorage) -> None:
    s = storage.add_source("https://example.com/feed", title="Example", category="World", now=NOW)
    assert s.id > 0 and s.category == "World" and s.next_check_at == NOW and not s.paused
    with pytest.raises(SourceExistsError):
        storage.add_source("https://example.com/feed", now=NOW)
    assert storage.find_source("https://example.com/feed") == s
    assert storage.find_source("https://other.example/feed") is None
    assert [x.id for x in storage.list_sources()] == [s.id]
    assert [c.name for c in storage.list_categories()] == ["World"]
    storage.remove_source(s.id)
    with pytest.raises(NotFoundError):
        storage.get_source(s.id)
    with pytest.raises(NotFoundError):
        storage.remove_source(s.id)


def test_feed_update_is_one_idempotent_transaction(storage: SqlStorage) -> None:
    s = storage.add_source("https://example.com/feed", now=NOW)
    d1, d2 = draft(s.id, "a"), draft(s.id, "b")
    updates = [insert(d1), insert(d2)]
    storage.apply_feed_updates([ok_update(s.id, d1, d2)], updates, NOW)
    storage.apply_feed_updates([ok_update(s.id, d1, d2)], updates, NOW)  # a rerun after a crash
    assert storage.article_count() == 2
    src = storage.get_source(s.id)
    assert src.etag == '"v1"' and src.title == "Feed title" and src.last_success_at == NOW
    a = storage.get_article(d1.id)
    assert a.title == "Title a" and a.authors == ("Ann Author",) and a.categories == ("World",)
    assert a.published_at == NOW - timedelta(hours=1) and a.published_at.tzinfo is not None
    assert a.source_title == "Feed title"


def test_failed_update_keeps_articles_and_records_reason(storage: SqlStorage) -> None:
    s = storage.add_source("https://example.com/feed", now=NOW)
    d1 = draft(s.id, "a")
    storage.apply_feed_updates([ok_update(s.id, d1)], [insert(d1)], NOW)
    failed = FeedUpdate(
        source_id=s.id,
        checked_at=NOW,
        next_check_at=NOW + timedelta(minutes=5),
        check_interval_s=300,
        ok=False,
        error="HTTP 500 Internal Server Error",
        error_count=12,
        pause=True,
    )
    storage.apply_feed_updates([failed], [], NOW)
    src = storage.get_source(s.id)
    assert src.last_error == "HTTP 500 Internal Server Error" and src.last_error_at == NOW
    assert src.error_count == 12 and src.paused and src.pause_reason == src.last_error
    assert src.etag == '"v1"' and src.last_success_at == NOW
    assert storage.article_count() == 1
    assert storage.stats().source_errors == 1 and storage.stats().paused_sources == 1
    assert storage.due_sources(NOW + timedelta(days=1)) == []
    resumed = storage.set_paused(s.id, False, None, NOW)
    assert not resumed.paused and resumed.error_count == 0
    assert [x.id for x in storage.due_sources(NOW)] == [s.id]


def test_changed_entry_never_overwrites_extracted_text(storage: SqlStorage) -> None:
    s = storage.add_source("https://example.com/feed", now=NOW)
    d1 = draft(s.id, "a")
    storage.apply_feed_updates([ok_update(s.id, d1)], [insert(d1)], NOW)
    [page] = storage.pending_pages(10)
    assert page.article_id == d1.id and page.url == d1.url
    extracted = Extracted(text="Full text of the article.", html="<p>Full text of the article.</p>", language="en")
    storage.apply_page_results(
        [
            PageResult(
                article_id=d1.id,
                status=ExtractionStatus.EXTRACTED,
                extracted=extracted,
                word_count=5,
                reading_time_s=60,
                content_hash="c1",
            )
        ]
    )
    assert storage.pending_pages(10) == []
    changed = replace(d1, title="New title", text="changed summary", entry_hash="h2")
    storage.apply_feed_updates(
        [ok_update(s.id, changed)],
        [ArticleUpdate(draft=changed, action=DraftAction.UPDATE, extraction_status=ExtractionStatus.PENDING)],
        NOW,
    )
    a = storage.get_article(d1.id)
    assert a.title == "New title"
    assert a.text == "Full text of the article." and a.extraction_status is ExtractionStatus.EXTRACTED
    assert a.word_count == 5 and a.language == "en"
    assert storage.stats().articles_with_text == 1


def test_failed_page_keeps_summary_and_reason(storage: SqlStorage) -> None:
    s = storage.add_source("https://example.com/feed", now=NOW)
    d1 = draft(s.id, "a")
    storage.apply_feed_updates([ok_update(s.id, d1)], [insert(d1)], NOW)
    storage.apply_page_results(
        [PageResult(article_id=d1.id, status=ExtractionStatus.FAILED, reason="HTTP 404 Not Found")]
    )
    a = storage.get_article(d1.id)
    assert a.extraction_status is ExtractionStatus.FAILED and a.extraction_reason == "HTTP 404 Not Found"
    assert a.summary == "<p>summary</p>" and a.text == "summary"


def test_known_keys_and_duplicates(storage: SqlStorage) -> None:
    s = storage.add_source("https://example.com/feed", now=NOW)
    d1 = draft(s.id, "a", content_hash="same")
    d2 = draft(s.id, "b", canonical_url=d1.canonical_url, content_hash="same")
    storage.apply_feed_updates(
        [ok_update(s.id, d1, d2)],
        [insert(d1), insert(d2, ExtractionStatus.SKIPPED, duplicate_of=d1.id, reason="dup")],
        NOW,
    )
    keys = storage.known_keys([d1.id, d2.id, "nope"], [d1.canonical_url or ""], ["same"])
    assert keys.entry_hash_by_id == {d1.id: "h-a", d2.id: "h-b"}
    assert keys.id_by_canonical_url == {d1.canonical_url: d1.id}  # duplicates never act as primaries
    assert keys.id_by_content_hash == {"same": d1.id}
    assert [a.id for a in storage.list_articles()] == [d1.id]
    assert {a.id for a in storage.list_articles(include_duplicates=True)} == {d1.id, d2.id}
    assert storage.stats().duplicates == 1
    many = [f"id-{i}" for i in range(1200)]  # more than one IN (...) chunk
    assert storage.known_keys(many, [], []).entry_hash_by_id == {}


def test_permanent_redirect_moves_source_unless_taken(storage: SqlStorage) -> None:
    a = storage.add_source("https://a.example/feed", now=NOW)
    b = storage.add_source("https://b.example/feed", now=NOW)
    storage.apply_feed_updates([ok_update(a.id, new_url="https://a.example/new")], [], NOW)
    assert storage.get_source(a.id).url == "https://a.example/new"
    storage.apply_feed_updates([ok_update(b.id, new_url="https://a.example/new")], [], NOW)
    assert storage.get_source(b.id).url == "https://b.example/feed"


def test_list_articles_newest_first_and_by_source(storage: SqlStorage) -> None:
    s1 = storage.add_source("https://a.example/feed", now=NOW)
    s2 = storage.add_source("https://b.example/feed", now=NOW)
    old = draft(s1.id, "old", published_at=NOW - timedelta(days=2))
    new = draft(s2.id, "new", published_at=NOW - timedelta(minutes=5))
    undated = draft(s1.id, "undated", published_at=None)
    storage.apply_feed_updates(
        [ok_update(s1.id, old, undated), ok_update(s2.id, new)], [insert(old), insert(new), insert(undated)], NOW
    )
    assert [a.id for a in storage.list_articles()] == [undated.id, new.id, old.id]  # undated: fetch time
    assert [a.id for a in storage.list_articles(source_id=s1.id)] == [undated.id, old.id]
    assert [a.id for a in storage.list_articles(limit=1, offset=1)] == [new.id]


def test_naive_datetimes_are_refused(storage: SqlStorage) -> None:
    with pytest.raises((StorageError, ValueError)):
        storage.add_source("https://example.com/feed", now=datetime(2026, 1, 1))


def test_storage_errors_are_wrapped(tmp_path: object) -> None:
    s = SqlStorage("sqlite:////nonexistent-dir/definitely/not/here.db")
    with pytest.raises(StorageError) as info:
        s.list_sources()
    assert info.value.__cause__ is not None


def test_migration_0003_rewrites_ids_and_duplicate_links(db_url: str) -> None:
    """Old ids (32 hex digits of the hash) become source-prefixed; duplicates follow their primary."""
    from sqlalchemy import text as sql

    from newsdesk.pipeline.keys import article_id

    s = SqlStorage(db_url)
    try:
        s.migrate("0002")
        old_primary, old_copy = "ab" * 16, "cd" * 16
        with s.engine.begin() as conn:
            conn.execute(
                sql("INSERT INTO sources (id, url, created_at, error_count, paused) VALUES (7, 'u7', :t, 0, false)"),
                {"t": NOW},
            )
            conn.execute(
                sql(
                    "INSERT INTO sources (id, url, created_at, error_count, paused) VALUES (300, 'u300', :t, 0, false)"
                ),
                {"t": NOW},
            )
            for aid, src, dup in ((old_primary, 7, None), (old_copy, 300, old_primary)):
                conn.execute(
                    sql(
                        "INSERT INTO articles (id, source_id, guid, fetched_at, word_count, reading_time_s, "
                        "entry_hash, extraction_status, duplicate_of) "
                        "VALUES (:id, :s, :g, :t, 0, 0, 'e', 'pending', :d)"
                    ),
                    {"id": aid, "s": src, "g": aid, "t": NOW, "d": dup},
                )
        s.migrate()
        with s.engine.connect() as conn:
            rows = dict(conn.execute(sql("SELECT id, duplicate_of FROM articles")).all())
    finally:
        s.close()
    assert rows == {"000007" + old_primary[6:]: None, "00012c" + old_copy[6:]: "000007" + old_primary[6:]}
    assert len(article_id(7, "g")) == 32 and article_id(7, "g").startswith("000007")


def test_migration_0006_recomputes_content_hashes_from_the_text(db_url: str) -> None:
    """Stored hashes follow the new definition, so old articles still match new copies of themselves."""
    from sqlalchemy import text as sql

    from newsdesk.pipeline.keys import content_hash

    texts = {
        "a" * 32: "The council approved the budget on Tuesday, after a long debate about schools and roads.",
        "b" * 32: "«Le conseil a voté le budget mardi», après un long débat sur les écoles et les routes du canton.",
        "c" * 32: "Too short to hash.",
    }
    s = SqlStorage(db_url)
    try:
        s.migrate("0005")
        with s.engine.begin() as conn:
            conn.execute(
                sql("INSERT INTO sources (id, url, created_at, error_count, paused) VALUES (7, 'u7', :t, 0, false)"),
                {"t": NOW},
            )
            for aid, body in texts.items():
                conn.execute(
                    sql(
                        "INSERT INTO articles (id, source_id, guid, fetched_at, word_count, reading_time_s, "
                        "entry_hash, extraction_status, text, content_hash) "
                        "VALUES (:id, 7, :guid, :t, 0, 0, 'e', 'pending', :text, :h)"
                    ),
                    {"id": aid, "guid": aid, "t": NOW, "text": body, "h": None if aid[0] == "c" else "old-style-hash"},
                )
        s.migrate()
        with s.engine.connect() as conn:
            hashes = dict(conn.execute(sql("SELECT id, content_hash FROM articles")).all())
    finally:
        s.close()
    assert hashes == {aid: content_hash(body) for aid, body in texts.items()}
    assert hashes["c" * 32] is None and hashes["a" * 32] is not None
    # The migration spells the definition out; today it must agree with the pipeline's fast version.
    module = _migration("0006_content_hash_of_letters.py")
    for body in [*texts.values(), "A, b; c: d! e? f. g - h (i) j [k] l {m} n \t\n o p q", "x" * 5 + " y" * 20]:
        assert module.letters_hash(body) == content_hash(body)


def _migration(name: str) -> Any:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "src/newsdesk/store/migrations/versions" / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_0007_recomputes_tag_keys_from_their_labels(db_url: str) -> None:
    """Keys stored by the old tagger (lemmas) become the keys of their labels, duplicates folded,
    and each story's top tags are counted again."""
    from sqlalchemy import text as sql

    from newsdesk.pipeline.stories.places import gazetteer
    from newsdesk.pipeline.stories.topics import topic_key

    s = SqlStorage(db_url)
    try:
        s.migrate("0006")
        with s.engine.begin() as conn:
            conn.execute(
                sql("INSERT INTO sources (id, url, created_at, error_count, paused) VALUES (7, 'u7', :t, 0, false)"),
                {"t": NOW},
            )
            for aid in ("a" * 32, "b" * 32):
                conn.execute(
                    sql(
                        "INSERT INTO articles (id, source_id, guid, fetched_at, word_count, reading_time_s, "
                        "entry_hash, extraction_status, story_id) VALUES (:id, 7, :guid, :t, 0, 0, 'e', 'feed', 's1')"
                    ),
                    {"id": aid, "guid": aid, "t": NOW},
                )
            old = [
                ("a" * 32, "freremusulman", "#FrèresMusulmans", 1.0),
                ("a" * 32, "etatsunis", "#ÉtatsUnis", 0.8),
                ("a" * 32, "unitedstate", "#UnitedStates", 0.5),  # the same topic as the one above, now
                ("b" * 32, "freremusulman", "#FrèreMusulman", 0.9),
                ("b" * 32, "이재명", "#이재명", 0.7),
            ]
            for aid, key, label, score in old:
                conn.execute(
                    sql("INSERT INTO article_tags VALUES (:a, :k, :l, 'phrase', :s)"),
                    {"a": aid, "k": key, "l": label, "s": score},
                )
            conn.execute(
                sql(
                    "INSERT INTO stories (id, article_count, source_count, tags, updated_at) "
                    "VALUES ('s1', 2, 1, '[\"etatsunis\"]', :t)"
                ),
                {"t": NOW},
            )
        s.migrate("0007")
        with s.engine.connect() as conn:
            rows = sorted(conn.execute(sql("SELECT article_id, tag, label FROM article_tags")).all())
            story_tags = conn.execute(sql("SELECT tags FROM stories WHERE id = 's1'")).scalar_one()
        s.migrate()  # 0009 writes each key's label beside it
        labelled = {t.key: t.label for t in s.get_story("s1").story.tags}
    finally:
        s.close()
    assert [(a[0], t, lb) for a, t, lb in rows] == [
        ("a", "freremusulman", "#FrèresMusulmans"),
        ("a", "unitedstate", "#ÉtatsUnis"),  # the better-scored label of the two kept
        ("b", "freremusulman", "#FrèreMusulman"),
        ("b", "이재명", "#이재명"),
    ]
    assert json.loads(story_tags) == ["freremusulman", "unitedstate", "이재명"]
    assert labelled["unitedstate"] == "#ÉtatsUnis" and labelled["이재명"] == "#이재명"
    assert labelled["freremusulman"] in {"#FrèresMusulmans", "#FrèreMusulman"}  # one each: either spelling
    # The migration spells the definition out; today it must agree with the pipeline's.
    module = _migration("0007_topic_keys_from_labels.py")
    countries = module._country_keys()
    gaz = gazetteer()
    labels = [p.name for p in [*gaz.names.values(), *gaz.cjk.values(), *gaz.demonym_forms.values()]]
    labels += ["#FrèresMusulmans", "#USForcesKorea", "#LeeJaeMyung", "#이재명", "Macron's", "#G20Summit", "#iPhone"]
    for label in labels:
        assert module.topic_key(label, countries) == topic_key(label), label


def test_source_names_are_a_forms_choices_by_name(storage: SqlStorage) -> None:
    from newsdesk.store.port import SourceName

    b = storage.add_source("https://b.example/feed", title="Beta", now=NOW)
    a = storage.add_source("https://a.example/feed", title="Alpha", now=NOW)
    untitled = storage.add_source("https://0.example/feed", now=NOW)  # shown by its address
    assert storage.source_names(10) == [  # by name, whatever its case
        SourceName(a.id, "Alpha"),
        SourceName(b.id, "Beta"),
        SourceName(untitled.id, "https://0.example/feed"),
    ]
    assert len(storage.source_names(2)) == 2


def test_the_people_migrations_keep_every_article_story_and_source(db_url: str) -> None:
    """From the schema before accounts (0011) to today's: the news is all there, and accounts work."""
    from sqlalchemy import text as sql

    from newsdesk.model import Role

    s = SqlStorage(db_url)
    try:
        s.migrate("0011")
        with s.engine.begin() as conn:
            conn.execute(
                sql("INSERT INTO sources (id, url, created_at, error_count, paused) VALUES (7, 'u7', :t, 0, false)"),
                {"t": NOW},
            )
            for aid in ("a" * 32, "b" * 32):
                conn.execute(
                    sql(
                        "INSERT INTO articles (id, source_id, guid, fetched_at, word_count, reading_time_s, "
                        "entry_hash, extraction_status, story_id, title) "
                        "VALUES (:id, 7, :guid, :t, 0, 0, 'e', 'feed', 's1', 'A title')"
                    ),
                    {"id": aid, "guid": aid, "t": NOW},
                )
            conn.execute(
                sql(
                    "INSERT INTO stories (id, article_count, source_count, tags, updated_at) "
                    "VALUES ('s1', 2, 1, '[]', :t)"
                ),
                {"t": NOW},
            )
        s.migrate()
        with s.engine.connect() as conn:
            counts = [
                conn.execute(sql(f"SELECT count(*) FROM {t}")).scalar_one() for t in ("sources", "articles", "stories")
            ]
        assert counts == [1, 2, 1]
        assert s.get_article("a" * 32).title == "A title" and s.get_story("s1").story.article_count == 2
        user = s.add_user("ann", "ann", None, Role.READER, NOW)
        assert s.users() == [user] and s.site_settings() == {}
    finally:
        s.close()


def test_postgresql_connections_the_server_dropped_are_replaced_before_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pooled connection idle a while is pinged before it is handed out (no ping per read while busy): after
    the server dropped every connection of the pool (a restart, an idle timeout), reads and writes go on."""
    import sqlalchemy

    from newsdesk.store import sql as sql_module
    from tests.conftest import fresh_database

    url = fresh_database("postgresql", tmp_path)
    # only this storage's connections are dropped: other test runs may share the database
    name = f"newsdesk-drop-{uuid.uuid4().hex[:12]}"
    own = sqlalchemy.make_url(url).update_query_dict({"application_name": name})
    storage = open_storage(own.render_as_string(hide_password=False))
    try:
        source = storage.add_source("http://127.0.0.1:9/feed.xml", title="Feed", now=datetime.now(UTC))
        assert storage.get_source(source.id).title == "Feed"
        assert storage.reader is not storage.engine  # reads: their own autocommit pool
        admin = sqlalchemy.create_engine(url)
        with admin.begin() as conn:
            dropped = conn.execute(
                sqlalchemy.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"
                ),
                {"name": name},
            ).scalar_one()
        admin.dispose()
        assert dropped >= 1
        monkeypatch.setattr(sql_module, "PING_AFTER_IDLE_S", 0.0)  # every pooled connection counts as idle
        assert storage.get_source(source.id).title == "Feed"
        assert storage.add_source("http://127.0.0.1:9/other.xml", title="Other", now=datetime.now(UTC)).id != source.id
        assert len(storage.list_sources()) == 2
    finally:
        storage.close()
