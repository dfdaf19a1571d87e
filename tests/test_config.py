"""Settings: precedence, coercion, validation, masking, the generated docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.cli import settings_markdown
from newsdesk.config import declared_settings, effective_settings, load_settings
from newsdesk.errors import ConfigError


def test_precedence_defaults_toml_env_flags(tmp_path: Path) -> None:
    toml = tmp_path / "newsdesk.toml"
    toml.write_text('[newsdesk]\nmax_connections = 10\nuser-agent = "from-toml"\nport = 9000\n')
    env = {"NEWSDESK_DATA_DIR": str(tmp_path), "NEWSDESK_MAX_CONNECTIONS": "20", "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1"}
    s = load_settings({"port": 9100, "db": None}, env=env)
    assert s.user_agent == "from-toml"  # toml over default
    assert s.max_connections == 20  # env over toml
    assert s.port == 9100  # flag over toml
    assert s.allow_private_networks is True
    assert s.database_url == f"sqlite:///{tmp_path / 'newsdesk.db'}"


def test_bad_values_are_config_errors(tmp_path: Path) -> None:
    env = {"NEWSDESK_DATA_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match="max_connections"):
        load_settings(env={**env, "NEWSDESK_MAX_CONNECTIONS": "many"})
    with pytest.raises(ConfigError, match="positive"):
        load_settings(env={**env, "NEWSDESK_FEED_MAX_BYTES": "0"})
    with pytest.raises(ConfigError, match="boolean"):
        load_settings(env={**env, "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "maybe"})
    (tmp_path / "newsdesk.toml").write_text("nonsense = 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(env=env)
    (tmp_path / "newsdesk.toml").write_text("this is not toml [")
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(env=env)


def test_postgres_url_and_secret_masking(tmp_path: Path) -> None:
    s = load_settings(env={"NEWSDESK_DATA_DIR": str(tmp_path), "NEWSDESK_DB": "postgresql://u:hunter2@db/news"})
    assert s.database_url == "postgresql+psycopg://u:hunter2@db/news"
    shown = dict((info.name, value) for info, value in effective_settings(s))
    assert "hunter2" not in str(shown["db"]) and shown["db"] == "postgresql://u:***@db/news"


def test_every_setting_is_documented() -> None:
    infos = declared_settings()
    assert len(infos) > 20
    assert all(i.help and i.env_var.startswith("NEWSDESK_") for i in infos)
    docs = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
    # The page is generated; any difference (a new setting, a changed default or help text) means stale.
    assert docs.read_text() == settings_markdown(), "docs/configuration.md is stale; run `make docs`"


def test_the_fixed_limits_in_the_docs_are_the_codes() -> None:
    from newsdesk.pipeline import sanitize
    from newsdesk.pipeline.feed.budget import FEED_CPU_BUDGET_S

    page = settings_markdown()
    for value in (sanitize.MAX_TITLE_CHARS, sanitize.MAX_BODY_CHARS, sanitize.MAX_SUMMARY_CHARS):
        assert f"| {value} characters |" in page
    assert f"| {FEED_CPU_BUDGET_S:g} s |" in page
    assert f"{sanitize._DEEP} open elements (then {sanitize._FLAT} kept)" in page


def test_blank_data_dir_and_db_are_shown_as_what_they_stand_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: `newsdesk config` showed a blank data directory; a path with an "@" is not a password."""
    home = tmp_path / "me@example"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))  # where the platform keeps user data, on Linux
    s = load_settings(env={})
    shown = dict((info.name, value) for info, value in effective_settings(s))
    assert shown["data_dir"] == str(home / "data" / "newsdesk") == s.resolved_data_dir
    assert shown["db"] == f"sqlite:///{home / 'data' / 'newsdesk' / 'newsdesk.db'}"
