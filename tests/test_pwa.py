"""The installable app and the API docs: the manifest, its icons, the service worker, /api/docs."""

from __future__ import annotations

import json
import struct
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from email.message import Message
from typing import Any

import pytest
from lxml import html as lxml_html

from newsdesk.config import Settings
from newsdesk.core import make_newsdesk
from newsdesk.web.pages.apidocs import anchor_of, constraints, prose, type_name
from newsdesk.web.server import build_app
from tests.loopback import serving
from tests.test_web import NOW, seed


@pytest.fixture
def base_url(settings: Settings, db_url: str) -> Iterator[str]:
    desk = make_newsdesk(replace(settings, db=db_url), clock=lambda: NOW)
    seed(desk)
    with serving(build_app(desk, schedule=False)) as url:
        yield url
    desk.close()


def get(url: str, *, redirects: bool = True) -> tuple[int, Message, bytes]:
    opener = urllib.request.build_opener(*([] if redirects else [NoRedirect()]))
    try:
        with opener.open(url, timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_manifest_makes_the_site_installable(base_url: str) -> None:
    status, headers, body = get(base_url + "/manifest.webmanifest")
    assert status == 200 and headers["Content-Type"] == "application/manifest+json"
    manifest = json.loads(body)
    assert manifest["name"] and manifest["short_name"] and manifest["start_url"] == "/"
    assert manifest["display"] == "standalone" and manifest["theme_color"].startswith("#")
    assert manifest["background_color"].startswith("#")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        status, headers, data = get(base_url + icon["src"])
        assert status == 200 and headers["Content-Type"] == "image/png"
        side = int(icon["sizes"].split("x")[0])
        assert png_size(data) == (side, side), icon["src"]


def test_every_page_links_the_manifest_icons_and_worker(base_url: str) -> None:
    for path in ("/", "/articles/a1", "/sources", "/api/docs", "/nothing-here"):
        _, _, body = get(base_url + path)
        head = lxml_html.fromstring(body).head
        assert head.xpath("link[@rel='manifest']/@href") == ["/manifest.webmanifest"], path
        assert head.xpath("meta[@name='theme-color']/@content"), path
        assert head.xpath("link[@rel='icon']/@href") and head.xpath("link[@rel='apple-touch-icon']/@href"), path
        registers = [src for src in head.xpath("script/@src") if src.startswith("/static/sw-register.js?v=")]
        assert len(registers) == 1, path
        status, headers, _ = get(base_url + registers[0])
        assert status == 200 and "javascript" in headers["Content-Type"]


def test_the_service_worker_is_served_from_the_root(base_url: str) -> None:
    status, headers, body = get(base_url + "/sw.js?v=0.1.0")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert headers["Cache-Control"] == "no-cache"  # browsers look for a new worker on each check
    script = body.decode()
    # What it relies on exists: the offline page, precached at install.
    assert '"/static/offline.html?v="' in script
    status, headers, body = get(base_url + "/static/offline.html?v=0.1.0")
    assert status == 200 and b"You are offline" in body and b"<script" not in body
    # Its rules: pages network-first with the kept copy as fallback, assets cache-first, old caches dropped.
    for rule in ("networkFirst", "cacheFirst", "caches.delete", "skipWaiting", "clients.claim"):
        assert rule in script, rule


def test_api_docs_describe_every_endpoint(base_url: str) -> None:
    status, headers, body = get(base_url + "/api", redirects=False)
    assert status == 308 and headers["Location"] == "/api/docs"
    status, headers, body = get(base_url + "/api/docs")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = lxml_html.fromstring(body)
    assert not page.xpath("//script[not(@src)]") and not page.xpath("//*[@style]")
    assert not [s for s in page.xpath("//script/@src|//link/@href|//img/@src") if "//" in s]  # nothing from elsewhere
    _, _, spec_body = get(base_url + "/api/v1/openapi.json")
    spec = json.loads(spec_body)
    text = page.text_content()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            section = page.get_element_by_id(anchor_of(method, path))
            heading = section.xpath("h2")[0].text_content()
            assert heading == f"{method.upper()} {path}"
            for parameter in op.get("parameters", []):
                rows = section.xpath(f".//tr[td[1]/code='{parameter['name']}']")
                assert rows, (path, parameter["name"])
                cells = [c.text_content() for c in rows[0].xpath("td")]
                assert cells[1] == parameter["in"] and cells[3] == ("yes" if parameter.get("required") else "no")
            assert op["summary"] in text
    limit = page.get_element_by_id("get-api-v1-articles").xpath(".//tr[td[1]/code='limit']/td")[4].text_content()
    assert limit == "≥ 1, ≤ 500, default 50"


def test_schema_words() -> None:
    assert type_name({"anyOf": [{"type": "integer"}, {"type": "null"}]}) == "integer | null"
    assert type_name({"type": "array", "items": {"$ref": "#/components/schemas/Story"}}) == "array of Story"
    assert type_name({"type": "string", "format": "date-time"}) == "string (date-time)"
    assert constraints({"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}], "default": None}) == ["≥ 1"]
    assert constraints({"type": "string", "maxLength": 5, "default": "x"}) == ["at most 5 characters", "default x"]
    assert prose("a ``b`` c") == [("a ", False), ("b", True), (" c", False)]
