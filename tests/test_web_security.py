"""Security headers and the Host check, against the real app under uvicorn over real storage."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsdesk.config import Settings, load_settings
from newsdesk.core import make_newsdesk
from newsdesk.errors import ConfigError
from newsdesk.web.security import CONTENT_SECURITY_POLICY, HTMX_INDICATOR_STYLE, allowed_hosts, host_name
from newsdesk.web.server import build_app
from tests.loopback import serving
from tests.test_web import NOW, seed


def request(base: str, path: str, host: str | None = None) -> tuple[http.client.HTTPResponse, bytes]:
    """GET ``path`` with a ``Host`` header of our choosing (urllib would send the URL's)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        conn.request("GET", path, headers={} if host is None else {"Host": host})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


@pytest.fixture
def base_url(settings: Settings, db_url: str) -> Iterator[str]:
    desk = make_newsdesk(replace(settings, db=db_url), clock=lambda: NOW)
    seed(desk)
    with serving(build_app(desk, schedule=False)) as url:
        yield url
    desk.close()


STATIC = Path(__file__).resolve().parents[1] / "src" / "newsdesk" / "web" / "static"
PATHS = ["/", "/articles/a1", "/sources", "/api/v1/health", "/api/v1/articles", "/api/docs", "/static/newsdesk.css"]


def test_every_response_carries_the_security_headers(base_url: str) -> None:
    for path in [*PATHS, "/nothing-here", "/api/v1/nothing"]:
        check_headers(base_url, path)


def check_headers(base_url: str, path: str) -> None:
    response, _ = request(base_url, path)
    assert response.status in (200, 404), path
    assert response.getheader("Content-Security-Policy") == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("Referrer-Policy") == "no-referrer"
    assert response.getheader("Cross-Origin-Opener-Policy") == "same-origin"
    assert "camera=()" in (response.getheader("Permissions-Policy") or "")
    assert response.getheader("Strict-Transport-Security") is None  # the site is http://127.0.0.1:8000


def test_the_one_allowed_inline_style_is_htmx_s() -> None:
    """The CSP allows htmx's indicator rule by hash: it must be what the vendored htmx inserts."""
    htmx = (STATIC / "htmx.min.js").read_text()
    first, second = HTMX_INDICATOR_STYLE.split("} ", 1)
    assert "`.${t}" + first.removeprefix(".htmx-indicator") + "} `" in htmx
    assert (
        "`.${n} .${t}, .${n}.${t}"
        + second.removeprefix(".htmx-request .htmx-indicator, .htmx-request.htmx-indicator")
        + "`"
        in htmx
    )
    assert "'sha256-faU7yAF8NxuMTNEwVmBz+VcYeIoBQ2EMHW3WaVxCvnk='" in CONTENT_SECURITY_POLICY  # what Chromium computes


def test_pages_have_no_inline_script_or_style(base_url: str) -> None:
    """The CSP forbids them, so a page that had one would be broken (and log a console error)."""
    for path in ("/", "/articles/a1", "/sources", "/api/docs", "/nothing-here"):
        _, body = request(base_url, path)
        html = body.decode()
        for script in html.split("<script")[1:]:
            assert script.split(">", 1)[0].strip().startswith("src="), f"inline script on {path}"
        assert "<style" not in html and " style=" not in html and " onclick=" not in html, path


FOREIGN_HOSTS = ["evil.invalid", "evil.invalid:8000", "127.0.0.1.evil.invalid", "[::2]:8000", "a b", ""]


def test_a_foreign_host_is_refused_and_never_echoed(base_url: str) -> None:
    """DNS rebinding: a page on evil.invalid made to resolve to 127.0.0.1 still says its own name."""
    for path in ["/", "/api/v1/health", "/api/v1/sources/", "/sources/", "/static", "/api/", "/media/x/y"]:
        for host in FOREIGN_HOSTS:
            check_refused(base_url, path, host)


def check_refused(base_url: str, path: str, host: str) -> None:
    response, body = request(base_url, path, host=host)
    assert response.status == 400, (path, host)
    assert response.getheader("Location") is None
    assert b"evil" not in body and b"::2" not in body
    assert response.getheader("Content-Security-Policy") == CONTENT_SECURITY_POLICY
    if path.startswith("/api/"):
        error = json.loads(body)["error"]
        assert error["type"] == "HTTPError" and "host name" in error["message"]
    else:
        assert b"<html" in body and b"host name" in body


def test_the_api_refuses_a_rebound_name_and_answers_its_own(base_url: str) -> None:
    port = urlsplit(base_url).port
    refused, body = request(base_url, "/api/v1/articles", host=f"rebind.attacker.example:{port}")
    assert refused.status == 400 and b"Council" not in body
    for own in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST.", "localhost:9000", f"[::1]:{port}"):
        answered, body = request(base_url, "/api/v1/articles", host=own)
        assert answered.status == 200 and json.loads(body)["articles"][0]["id"] == "a1", own


def test_redirects_are_relative(base_url: str) -> None:
    """Starlette builds trailing-slash redirects from the Host header; ours say only the path."""
    port = urlsplit(base_url).port
    redirects = {
        "/sources/": "/sources",
        "/static": "/static/",
        "/api": "/api/docs",
        "/api/v1/stats/?x=1": "/api/v1/stats?x=1",
    }
    for path, target in redirects.items():
        response, _ = request(base_url, path, host=f"localhost:{port}")
        assert response.status in (307, 308) and response.getheader("Location") == target, path


def test_host_names_and_the_allowed_set() -> None:
    assert host_name("Example.ORG.:443") == "example.org"
    assert host_name("[::1]:8000") == "::1" and host_name("[::1]") == "::1"
    assert host_name("[::1]x") is None and host_name("a:b") is None and host_name("") is None
    site = Settings(site_url="https://news.example.org", allowed_hosts="alt.example.org, Other.example")
    assert allowed_hosts(site) == frozenset(
        {
            "news.example.org",
            "alt.example.org",
            "other.example",
            "localhost",
            "127.0.0.1",
            "::1",
        }
    )
    assert allowed_hosts(Settings(allowed_hosts="*")) is None
    assert Settings(host="::1", port=9000).public_url == "http://[::1]:9000"


def test_hsts_only_over_https(settings: Settings, db_url: str) -> None:
    desk = make_newsdesk(replace(settings, db=db_url, site_url="https://news.example.org"), clock=lambda: NOW)
    with serving(build_app(desk, schedule=False)) as base:
        response, _ = request(base, "/api/v1/health", host="news.example.org")
        assert response.status == 200 and response.getheader("Strict-Transport-Security") == "max-age=31536000"
        response, _ = request(base, "/api/v1/health", host="elsewhere.example.org")
        assert response.status == 400
    desk.close()


@pytest.mark.parametrize(
    "url", ["ftp://news.example.org", "https://news.example.org/news", "news.example.org", "http://:80"]
)
def test_a_site_url_must_be_an_origin(url: str) -> None:
    with pytest.raises(ConfigError, match="site_url"):
        load_settings({"site_url": url}, env={})
