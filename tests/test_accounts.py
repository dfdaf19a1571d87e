"""Accounts (``people/accounts.py``, ``store/accounts.py``) through the facade on SQLite and PostgreSQL,
and the ``newsdesk users`` commands: names, Argon2id passwords, one answer for every failed sign-in,
the rate limit, sessions, disabling, one-time links."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.errors import AccountError, ForbiddenError, NameTakenError, NotFoundError, SignInError, SignInLimitedError
from newsdesk.model import Role
from newsdesk.people.accounts import token_hash
from newsdesk.store import SqlStorage
from newsdesk.store.schema import sessions, users
from tests.conftest import test_settings
from tests.test_cli import json_lines, run

PASSWORD = "correct horse battery staple"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(storage: SqlStorage, tmp_path: Path, clock: Clock) -> Newsdesk:
    settings = test_settings(tmp_path, db=storage.url, sign_in_attempts=3, sign_in_window_s=600.0)
    return make_newsdesk(settings, clock, storage=storage)


def test_accounts_are_created_with_argon2id_hashes_and_names_unique_ignoring_case(
    desk: Newsdesk, storage: SqlStorage
) -> None:
    ann = desk.create_user("Ann", PASSWORD, Role.ADMIN)
    assert (ann.name, ann.role, ann.disabled, ann.has_password) == ("Ann", Role.ADMIN, False, True)
    assert ann.is_admin and ann.is_moderator
    with storage.engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.id == ann.id)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(NameTakenError):
        desk.create_user("ANN", PASSWORD)
    with pytest.raises(NameTakenError):
        desk.create_user("ａｎｎ", PASSWORD)  # fullwidth letters: the same name after NFKC
    assert desk.user("aNN").id == ann.id
    bob = desk.create_user("bob.b-2", None)
    assert not bob.has_password and bob.role is Role.READER
    assert [u.name for u in desk.users()] == ["Ann", "bob.b-2"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("a", "2 to 40"),
        ("x" * 41, "2 to 40"),
        ("-dash", "starts with a letter"),
        ("two words", "letters, digits"),
        ("<script>", "letters, digits"),
        ("Moderator", "reserved"),
        ("ADMIN", "reserved"),
    ],
)
def test_bad_and_reserved_names_are_refused_with_the_reason(desk: Newsdesk, name: str, reason: str) -> None:
    with pytest.raises(AccountError, match=reason):
        desk.create_user(name, PASSWORD)


def test_short_passwords_are_refused(desk: Newsdesk) -> None:
    with pytest.raises(AccountError, match="at least 10"):
        desk.create_user("carol", "short")


def test_sign_in_gives_a_session_that_only_its_token_opens(desk: Newsdesk, storage: SqlStorage) -> None:
    ann = desk.create_user("ann", PASSWORD)
    new = desk.sign_in("ANN", PASSWORD, "192.0.2.1")
    assert new.signed_in.user.id == ann.id and len(new.token) >= 40 and len(new.signed_in.csrf_token) >= 40
    signed_in = desk.signed_in(new.token)
    assert signed_in is not None and signed_in.user.name == "ann"
    assert signed_in.csrf_token == new.signed_in.csrf_token
    with storage.engine.connect() as conn:
        kept = conn.execute(select(sessions.c.token_hash)).scalars().all()
    assert kept == [token_hash(new.token)] and new.token not in kept  # only the hash is stored
    assert desk.signed_in(new.token[:-1] + "x") is None and desk.signed_in("") is None
    assert desk.signed_in("x" * 10_000) is None
    desk.sign_out(new.token)
    assert desk.signed_in(new.token) is None


def test_sessions_expire(desk: Newsdesk, clock: Clock) -> None:
    desk.create_user("ann", PASSWORD)
    new = desk.sign_in("ann", PASSWORD, "192.0.2.1")
    clock.now += timedelta(days=desk.settings.session_days, seconds=1)
    assert desk.signed_in(new.token) is None


def test_every_failed_sign_in_says_the_same_and_takes_as_long(desk: Newsdesk) -> None:
    desk.create_user("ann", PASSWORD)
    desk.create_user("dora", PASSWORD)
    desk.set_user_disabled("dora")
    desk.create_user("nopass", None)
    reasons, times = [], []
    for name, password, address in [
        ("ann", "wrong password!", "192.0.2.1"),
        ("nobody", PASSWORD, "192.0.2.2"),
        ("dora", PASSWORD, "192.0.2.3"),
        ("nopass", "", "192.0.2.4"),
    ]:
        started = time.perf_counter()
        with pytest.raises(SignInError) as caught:
            desk.sign_in(name, password, address)
        times.append(time.perf_counter() - started)
        reasons.append(str(caught.value))
    assert set(reasons) == {"wrong name or password"}
    # an unknown name is checked against a dummy hash: no faster than a wrong password (Argon2id: tens of ms)
    assert times[1] > 0.3 * times[0]


def test_failed_sign_ins_are_limited_per_account_and_per_address(desk: Newsdesk, clock: Clock) -> None:
    desk.create_user("ann", PASSWORD)
    for i in range(3):  # sign_in_attempts = 3, from three addresses
        with pytest.raises(SignInError):
            desk.sign_in("ann", "wrong password!", f"192.0.2.{i}")
    with pytest.raises(SignInLimitedError, match="try again in 10 minutes"):
        desk.sign_in("ann", PASSWORD, "198.51.100.9")  # the right password, a new address: still limited
    desk.create_user("bob", PASSWORD)
    assert desk.sign_in("bob", PASSWORD, "198.51.100.9").signed_in.user.name == "bob"
    # one address trying many names is limited too, names that exist or not
    for name in ("x1", "x2", "x3"):
        with pytest.raises(SignInError):
            desk.sign_in(name, "guess guess guess", "203.0.113.7")
    with pytest.raises(SignInLimitedError):
        desk.sign_in("bob", PASSWORD, "203.0.113.7")
    clock.now += timedelta(seconds=601)  # the window has gone by
    assert desk.sign_in("ann", PASSWORD, "192.0.2.1").signed_in.user.name == "ann"


def test_disabling_ends_sessions_and_sign_ins(desk: Newsdesk) -> None:
    desk.create_user("ann", PASSWORD)
    new = desk.sign_in("ann", PASSWORD, "192.0.2.1")
    assert desk.set_user_disabled("ann").disabled
    assert desk.signed_in(new.token) is None
    with pytest.raises(SignInError):
        desk.sign_in("ann", PASSWORD, "192.0.2.1")
    desk.set_user_disabled("ann", False)
    assert desk.signed_in(new.token) is None  # ended, not suspended
    assert desk.sign_in("ann", PASSWORD, "192.0.2.1").signed_in.user.name == "ann"
    with pytest.raises(NotFoundError):
        desk.set_user_disabled("nobody")


def test_a_sign_in_link_works_once_and_for_a_day(desk: Newsdesk, clock: Clock) -> None:
    desk.create_user("ann", None)
    link = desk.sign_in_link("ann")
    assert link.startswith(desk.settings.public_url + "/sign-in/link/")
    token = link.rsplit("/", 1)[1]
    assert desk.use_sign_in_link(token).signed_in.user.name == "ann"
    with pytest.raises(AccountError, match="used already, or it expired"):
        desk.use_sign_in_link(token)
    late = desk.sign_in_link("ann").rsplit("/", 1)[1]
    clock.now += timedelta(hours=24, seconds=1)
    with pytest.raises(AccountError, match="used already"):
        desk.use_sign_in_link(late)
    with pytest.raises(AccountError):
        desk.use_sign_in_link("made-up")


def test_the_users_commands_create_list_disable_and_print_links(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = run(data, "users", "create", "--admin", "root-admin", input=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().startswith("created admin root-admin (id ")
    assert run(data, "users", "create", "ann", input="short\n").returncode == 1
    taken = run(data, "users", "create", "ROOT-ADMIN", input=PASSWORD + "\n")
    assert taken.returncode == 1 and "taken" in taken.stderr and taken.stderr.count("\n") == 1
    assert run(data, "users", "create", "--no-password", "reader1").returncode == 0
    listed = json_lines(run(data, "users", "list", "--json").stdout)
    assert [(u["name"], u["role"], u["disabled"]) for u in listed] == [
        ("root-admin", "admin", False),
        ("reader1", "reader", False),
    ]
    assert "argon2" not in run(data, "users", "list", "--json").stdout  # never a hash
    assert run(data, "users", "disable", "reader1").stdout.strip() == "disabled reader1"
    assert "(disabled)" in run(data, "users", "list").stdout
    link = run(data, "users", "reset-link", "root-admin")
    assert link.returncode == 0 and "/sign-in/link/" in link.stdout
    missing = run(data, "users", "reset-link", "nobody")
    assert missing.returncode == 1 and "no account named 'nobody'" in missing.stderr


def test_a_reader_exports_their_data_and_deletes_their_account(desk: Newsdesk) -> None:
    desk.create_user("rooty", PASSWORD, Role.ADMIN)
    ann = desk.create_user("ann", PASSWORD)
    token = desk.sign_in("ann", PASSWORD, "192.0.2.1").token
    data = desk.export_account(ann)
    assert data["account"] == {
        "name": "ann",
        "role": "reader",
        "created_at": ann.created_at.isoformat(),
        "has_password": True,
    }
    assert len(data["sessions"]) == 1 and token not in str(data) and "argon2" not in str(data)
    with pytest.raises(AccountError, match="password is not right"):
        desk.delete_account(ann, "not my password")
    assert desk.user("ann").id == ann.id
    desk.delete_account(ann, PASSWORD)
    with pytest.raises(NotFoundError):
        desk.user("ann")
    assert desk.signed_in(token) is None
    desk.create_user("ann", PASSWORD)  # the name is free again
    with pytest.raises(AccountError, match="only administrator"):
        desk.delete_account(desk.user("rooty"), PASSWORD)


def test_site_settings_default_to_the_configuration_and_only_administrators_change_them(desk: Newsdesk) -> None:
    assert (desk.site().name, desk.site().registration, desk.site().default_language) == ("newsdesk", "closed", "en")
    admin = desk.create_user("boss", PASSWORD, Role.ADMIN)
    reader = desk.create_user("ann", PASSWORD)
    with pytest.raises(ForbiddenError):
        desk.change_site(reader, ("en", "fr"), name="Mine", registration="open", default_language="en")
    for values, reason in [
        ({"name": " ", "registration": "open", "default_language": "en"}, "1 to 60"),
        ({"name": "X", "registration": "sometimes", "default_language": "en"}, "registration is one of"),
        ({"name": "X", "registration": "open", "default_language": "de"}, "default language is one of"),
    ]:
        with pytest.raises(AccountError, match=reason):
            desk.change_site(admin, ("en", "fr"), **values)
    before = dict(desk.data_versions()).get("site", 0)
    desk.change_site(admin, ("en", "fr"), name="  The   Daily ", registration="invite", default_language="fr")
    assert dict(desk.data_versions())["site"] == before + 1
    assert (desk.site().name, desk.site().registration, desk.site().default_language) == ("The Daily", "invite", "fr")


@pytest.mark.parametrize("keep", [True, False])
def test_deleting_an_account_keeps_its_comments_as_a_deleted_account_or_empties_them(
    desk: Newsdesk, keep: bool
) -> None:
    from newsdesk.model import ArticleEnrichment, CommentStatus, CommentTarget
    from tests.test_stories import NOW, seed

    seed(desk.storage)  # type: ignore[arg-type]  # articles in a story to comment on
    batch = desk.storage.pending_enrichment(100)
    desk.storage.apply_enrichment([ArticleEnrichment(article_id=a.id, story_id="story-x") for a in batch], [], NOW)
    ann, bob = desk.create_user("ann", PASSWORD), desk.create_user("bob", PASSWORD)
    first = desk.post_comment(ann, CommentTarget.STORY, "story-x", "Ann's *first* word.")
    desk.post_comment(bob, CommentTarget.STORY, "story-x", "Bob replies.", first.id)
    data = desk.export_account(ann)
    assert [c["text"] for c in data["comments"]] == ["Ann's *first* word."]
    assert {"follows", "keyword_filters", "bookmarks", "read", "passkeys"} <= data.keys()
    before = dict(desk.data_versions()).get("comments", 0)
    desk.delete_account(ann, PASSWORD, keep_comments=keep)
    assert dict(desk.data_versions())["comments"] > before  # the article pages show it at once
    (thread,) = desk.comments(CommentTarget.STORY, "story-x")
    top = thread.comment
    assert top.user_id is None and top.author == ""
    if keep:
        assert top.status is CommentStatus.VISIBLE and "first" in top.html
    else:
        assert top.status is CommentStatus.DELETED and top.body == "" and top.html == ""
    assert [r.author for r in thread.replies] == ["bob"]  # the others' replies keep their place
