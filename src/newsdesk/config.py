"""Settings: declared once, built once, passed explicitly.

Each setting is a field of :class:`Settings` with its type, default and help
text (``metadata``); the docs page ``docs/configuration.md`` and ``newsdesk
config`` are generated from these same declarations. Precedence, lowest first:
defaults → ``newsdesk.toml`` (in the data directory, or ``NEWSDESK_CONFIG``) →
``NEWSDESK_*`` environment variables → CLI flags. There is no module-level
settings object: :func:`load_settings` returns one and callers pass it on.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from newsdesk.errors import ConfigError

ENV_PREFIX = "NEWSDESK_"
VERSION = "0.1.0"


def _setting(default: Any, help: str, *, secret: bool = False) -> Any:
    return field(default=default, metadata={"help": help, "secret": secret})


def _default_data_dir() -> str:
    import platformdirs  # imported lazily: only needed when no data dir is given

    return platformdirs.user_data_dir("newsdesk", appauthor=False)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of newsdesk. Field order is the order of the docs page."""

    data_dir: str = _setting(
        "", "Directory for the SQLite database and caches (default: the platform's user data dir)."
    )
    db: str = _setting(
        "",
        "Database URL. Empty: SQLite at DATA_DIR/newsdesk.db. A postgresql:// URL selects PostgreSQL (psycopg 3).",
        secret=True,
    )
    user_agent: str = _setting(
        f"newsdesk/{VERSION} (+https://github.com/newsdesk/newsdesk; self-hosted news reader)",
        "User-Agent sent with every request; also the name matched in robots.txt.",
    )
    allow_private_networks: bool = _setting(
        False,
        "Allow fetching loopback, private, link-local and reserved addresses (SSRF guard off). "
        "Only for tests, benchmarks, the demo, or feeds on your own network.",
    )
    trusted_canonical_hosts: str = _setting(
        "",
        "Hosts (comma-separated) whose article pages may name the article's canonical address on another site "
        "(a mirror or syndication partner you trust): that address becomes the article's canonical URL, used to "
        "link the original and to fold copies. Empty: only a canonical on the page's own site counts. "
        "The offline demo sets its loopback site here: its pages copy Wikinews and Wikipedia.",
    )
    max_connections: int = _setting(64, "Concurrent HTTP connections in total.")
    max_connections_per_host: int = _setting(8, "Concurrent HTTP connections to one host (politeness).")
    connect_timeout_s: float = _setting(10.0, "Seconds to establish a connection.")
    read_timeout_s: float = _setting(20.0, "Seconds to wait for the next chunk of a response.")
    total_timeout_s: float = _setting(45.0, "Seconds for one whole request, redirects included.")
    max_redirects: int = _setting(5, "Redirects followed before giving up.")
    feed_max_bytes: int = _setting(10_000_000, "Largest feed body accepted (after decompression).")
    page_max_bytes: int = _setting(5_000_000, "Largest article page accepted (after decompression).")
    respect_robots_txt: bool = _setting(True, "Check robots.txt before fetching article pages.")
    min_check_interval_s: float = _setting(600.0, "Shortest time between two checks of one feed.")
    default_check_interval_s: float = _setting(3600.0, "Time between checks when the feed gives no hint.")
    max_check_interval_s: float = _setting(86400.0, "Longest time between two checks of one feed.")
    error_backoff_base_s: float = _setting(300.0, "First retry delay after an error; doubles per failure, with jitter.")
    max_consecutive_errors: int = _setting(12, "A source failing this many times in a row is paused.")
    fetch_pages: bool = _setting(True, "Fetch article pages when the feed's text is short (per-source override).")
    min_feed_words: int = _setting(150, "A feed entry with fewer words than this gets its page fetched and extracted.")
    extract_workers: int = _setting(0, "Processes for text extraction; 0 means one per CPU core.")
    page_concurrency: int = _setting(16, "Article pages fetched at once.")
    embedding_model: str = _setting(
        "use-multilingual-v3-int8",
        "Sentence embedding model: 'use-multilingual-v3-int8' (built in, multilingual, offline), a path to an ONNX "
        "model file or directory, or 'openai:MODEL' for an OpenAI-compatible /embeddings endpoint. "
        "Changing it re-embeds every article.",
    )
    embedding_base_url: str = _setting(
        "",
        "Base URL of the OpenAI-compatible API for 'openai:' models, up to and including the version "
        "(e.g. http://127.0.0.1:11434/v1); '/embeddings' is appended. Empty: https://api.openai.com/v1.",
    )
    embedding_api_key: str = _setting("", "API key sent as a Bearer token to the embedding endpoint.", secret=True)
    embedding_threads: int = _setting(
        1,
        "Threads of the local embedding model; 0 means one per usable CPU core. One is the most work per "
        "CPU-second and leaves the other cores to the rest of the pipeline; more only pays on idle cores.",
    )
    embedding_batch_size: int = _setting(
        0, "Texts per model call (or per request); 0 means 8 for a local model, 64 for an endpoint."
    )
    embedding_timeout_s: float = _setting(30.0, "Seconds to wait on the embedding endpoint (connect and read).")
    embedding_dimensions: int = _setting(
        0, "Vector size asked of an 'openai:' model that can shorten its vectors; 0 means the model's own."
    )
    llm_base_url: str = _setting(
        "",
        "Base URL of an OpenAI-compatible chat API (llama.cpp server, Ollama, vLLM, a hosted API), up to and"
        " including the version (e.g. http://127.0.0.1:8080/v1); '/chat/completions' is appended. Empty: no"
        " model; the AI features are extractive.",
    )
    llm_model: str = _setting("", "The model name sent to the chat API, and shown beside what it wrote.")
    llm_api_key: str = _setting("", "API key sent as a Bearer token to the chat API.", secret=True)
    llm_timeout_s: float = _setting(
        60.0, "Seconds one request to the chat API may take; past it the extractive feature answers instead."
    )
    llm_concurrency: int = _setting(1, "Requests to the chat API at a time; the others wait their turn.")
    llm_daily_tokens: int = _setting(
        200_000,
        "Tokens (prompt and answer) the site may spend on the chat API in a day (UTC); past it the extractive"
        " features answer until midnight, and pages say so. 0: no model calls.",
    )
    llm_max_tokens: int = _setting(400, "Tokens the model may write in one answer.")
    enrich: bool = _setting(True, "Run story intelligence (embed, fold, cluster, tag, categorize) after each update.")
    story_window_h: float = _setting(
        72.0, "Hours an article can still join a story: the clustering window (memory is bounded by it)."
    )
    front_page_window_h: float = _setting(48.0, "Hours of activity the front page ranks.")
    related_window_h: float = _setting(
        24.0 * 14,
        "How far back related articles are looked for; the vector index file keeps this window (older"
        " articles leave it within the hour, so its size follows the window, not the history).",
    )
    related_min_similarity: float = _setting(
        0.35, "Cosine similarity below which an article is not shown as related (fewer, never filler)."
    )
    enrich_batch: int = _setting(256, "Articles enriched per batch (one transaction).")
    host: str = _setting("127.0.0.1", "Address `newsdesk serve` listens on.")
    port: int = _setting(8000, "Port `newsdesk serve` listens on.")
    site_url: str = _setting(
        "",
        "The site's public address, scheme and host (e.g. https://news.example.org). Requests naming another"
        " host are refused (DNS rebinding), and absolute links use it. Empty: http://HOST:PORT.",
    )
    allowed_hosts: str = _setting(
        "",
        "More host names the site answers to, comma-separated (besides SITE_URL's and the loopback names);"
        " '*' turns the Host check off.",
    )
    secret_key: str = _setting(
        "",
        "Key that signs the image proxy's addresses. Empty: a random key kept in DATA_DIR/secret_key.",
        secret=True,
    )
    media_max_bytes: int = _setting(5_000_000, "Largest publisher image the image proxy serves.")
    media_timeout_s: float = _setting(10.0, "Seconds the image proxy waits for a publisher's image.")
    media_cache_max_bytes: int = _setting(
        500_000_000, "Disk the image proxy's cache (DATA_DIR/media) may use; the least recently used go first."
    )
    web_processes: int = _setting(
        1,
        "Processes `newsdesk serve` answers requests with (one event loop and GIL each, caches of their own);"
        " each runs the scheduler too, and they split due feeds by leases. More than one pays on PostgreSQL"
        " with spare cores.",
    )
    page_cache_max_bytes: int = _setting(
        64_000_000,
        "Memory the web process may keep rendered pages of anonymous readers in (each for at most a minute,"
        " until a write changes what pages show); 0 renders every request.",
    )
    registration: str = _setting(
        "closed",
        "Who may create an account on the site: open (anyone), invite (with a one-time link from an admin) or"
        " closed (only the operator, with `newsdesk users create`). Reading needs no account either way."
        " An administrator's choice on /admin/site takes precedence.",
    )
    session_days: float = _setting(30.0, "Days a sign-in lasts without signing in again.")
    sign_in_attempts: int = _setting(
        5,
        "Failed sign-ins allowed per account, and per address, in SIGN_IN_WINDOW_S; past it, signing in"
        " there waits until the window has gone by (logged as sign_in.limited).",
    )
    sign_in_window_s: float = _setting(900.0, "The window of SIGN_IN_ATTEMPTS, in seconds.")
    comments_per_minute: int = _setting(3, "Comments one account may post in a minute; past it, the next waits.")
    comments_per_day: int = _setting(50, "Comments one account may post in a day.")
    hold_first_comments: int = _setting(
        0,
        "The first this many comments of every account wait for a moderator before anyone else sees them"
        " (0: none wait).",
    )
    comment_edit_window_s: float = _setting(900.0, "Seconds after posting during which its author may edit a comment.")
    scheduler_tick_s: float = _setting(30.0, "How often `newsdesk serve` looks for due feeds.")
    lease_ttl_s: float = _setting(
        900.0,
        "How long a process's claim on a source, a page or the enrichment lasts, when processes share a"
        " database; a crashed process's claims run out after this.",
    )
    log_level: str = _setting(
        "auto",
        "Logging level: DEBUG, INFO, WARNING, ERROR, or auto: INFO for serve and demo, WARNING for the other "
        "commands, whose own output reports what they did.",
    )
    log_format: str = _setting("text", "Log format on stderr: text or json.")

    @property
    def database_url(self) -> str:
        """The effective SQLAlchemy URL (SQLite in the data directory unless ``db`` is set)."""
        if self.db:
            url = self.db
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{Path(self.resolved_data_dir) / 'newsdesk.db'}"

    @property
    def public_url(self) -> str:
        """The site's address without a trailing slash: ``site_url``, or where ``newsdesk serve`` listens."""
        if self.site_url:
            return self.site_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def resolved_data_dir(self) -> str:
        return self.data_dir or _default_data_dir()

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class SettingInfo:
    """One declared setting, for ``newsdesk config`` and the docs page."""

    name: str
    type_name: str
    default: Any
    help: str
    secret: bool

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()


def declared_settings() -> list[SettingInfo]:
    hints = get_type_hints(Settings)
    return [
        SettingInfo(
            name=f.name,
            type_name=_type_name(hints[f.name]),
            default=f.default,
            help=f.metadata["help"],
            secret=f.metadata["secret"],
        )
        for f in dataclasses.fields(Settings)
    ]


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce(name: str, tp: Any, value: Any) -> Any:
    """Turn a TOML or environment value into the declared type, or raise ConfigError."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if value in (None, ""):
            return None
        tp = args[0]
    try:
        if tp is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(f"not a boolean: {value!r}")
        if tp is int:
            if isinstance(value, bool):
                raise ValueError("not an integer")
            return int(value)
        if tp is float:
            return float(value)
        if tp is str:
            return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: {exc}") from exc
    raise ConfigError(f"setting {name}: unsupported type {tp!r}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    section = data.get("newsdesk", data)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [newsdesk] must be a table")
    return section


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: str | None = None,
) -> Settings:
    """Build the effective settings: defaults → TOML → environment → ``overrides``.

    ``overrides`` holds CLI flags; ``None`` values mean "not given" and are ignored.
    """
    env = os.environ if env is None else env
    hints = get_type_hints(Settings)
    names = {f.name for f in dataclasses.fields(Settings)}
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    values: dict[str, Any] = {}

    # 1. The data directory decides where the TOML file is, so resolve it first.
    data_dir = overrides.get("data_dir") or env.get(ENV_PREFIX + "DATA_DIR") or ""
    toml_path = config_file or env.get(ENV_PREFIX + "CONFIG")
    if toml_path is None:
        toml_path = str(Path(data_dir or _default_data_dir()) / "newsdesk.toml")
    # 2. TOML file.
    for raw_key, value in _read_toml(Path(toml_path)).items():
        key = raw_key.replace("-", "_")
        if key not in names:
            raise ConfigError(f"{toml_path}: unknown setting {key!r}")
        values[key] = _coerce(key, hints[key], value)
    # 3. Environment.
    for key in names:
        raw = env.get(ENV_PREFIX + key.upper())
        if raw is not None:
            values[key] = _coerce(key, hints[key], raw)
    # 4. CLI flags.
    for key, value in overrides.items():
        if key not in names:
            raise ConfigError(f"unknown setting {key!r}")
        values[key] = _coerce(key, hints[key], value)
    settings = Settings(**values)
    _validate(settings)
    return settings


def _validate(s: Settings) -> None:
    positive = (
        "max_connections",
        "max_connections_per_host",
        "connect_timeout_s",
        "read_timeout_s",
        "total_timeout_s",
        "feed_max_bytes",
        "page_max_bytes",
        "min_check_interval_s",
        "max_check_interval_s",
        "max_consecutive_errors",
        "page_concurrency",
        "story_window_h",
        "front_page_window_h",
        "related_window_h",
        "enrich_batch",
        "lease_ttl_s",
        "media_max_bytes",
        "media_timeout_s",
        "media_cache_max_bytes",
        "session_days",
        "sign_in_attempts",
        "sign_in_window_s",
        "comments_per_minute",
        "comments_per_day",
        "web_processes",
        "llm_timeout_s",
        "llm_concurrency",
        "llm_max_tokens",
    )
    for name in positive:
        if getattr(s, name) <= 0:
            raise ConfigError(f"setting {name} must be positive, got {getattr(s, name)!r}")
    if s.hold_first_comments < 0 or s.comment_edit_window_s < 0:
        raise ConfigError("settings hold_first_comments and comment_edit_window_s must not be negative")
    if s.page_cache_max_bytes < 0:
        raise ConfigError(f"setting page_cache_max_bytes must not be negative, got {s.page_cache_max_bytes!r}")
    if s.min_check_interval_s > s.max_check_interval_s:
        raise ConfigError("min_check_interval_s must not exceed max_check_interval_s")
    if s.registration not in ("open", "invite", "closed"):
        raise ConfigError(f"setting registration must be open, invite or closed, got {s.registration!r}")
    if s.log_format not in ("text", "json"):
        raise ConfigError(f"setting log_format must be text or json, got {s.log_format!r}")
    if s.llm_daily_tokens < 0:
        raise ConfigError(f"setting llm_daily_tokens must not be negative, got {s.llm_daily_tokens!r}")
    if s.llm_base_url and not s.llm_base_url.startswith(("http://", "https://")):
        raise ConfigError(f"setting llm_base_url must be an http:// or https:// address, got {s.llm_base_url!r}")
    if s.llm_base_url and not s.llm_model:
        raise ConfigError("setting llm_model must name the model when llm_base_url is set")
    _validate_site_url(s.site_url)
    if s.db and not s.db.startswith(("sqlite:", "postgresql:", "postgres:", "postgresql+psycopg:")):
        raise ConfigError("setting db must be a sqlite:// or postgresql:// URL")


def _validate_site_url(url: str) -> None:
    """A site address is an origin: http(s), a host, maybe a port, no path (the app is served at the root)."""
    if not url:
        return
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"setting site_url: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"setting site_url must be an http:// or https:// address, got {url!r}")
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(f"setting site_url must be the site's origin only (no path), got {url!r}")


def effective_settings(settings: Settings) -> list[tuple[SettingInfo, Any]]:
    """Each declared setting with its effective value, secrets masked: an empty data directory or database
    is shown as what it stands for (the platform's data directory, the SQLite file in it)."""
    # What a blank stands for: derived, never a secret (a path may hold an "@" that masking would mangle).
    derived = {"data_dir": settings.resolved_data_dir, "db": settings.database_url}
    out = []
    for info in declared_settings():
        value = getattr(settings, info.name)
        if info.secret and value:
            value = _mask(str(value))
        elif not value and info.name in derived:
            value = derived[info.name]
        out.append((info, value))
    return out


def _mask(value: str) -> str:
    """Hide a password inside a URL, or the whole value if it is not a URL."""
    if "://" in value and "@" in value:
        scheme, rest = value.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    if "://" in value:
        return value
    return "***"
