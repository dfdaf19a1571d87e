"""The image proxy: the real app under uvicorn, fetching from a real loopback image server."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from email.message import Message
from pathlib import Path
from typing import ClassVar

import pytest

from newsdesk.config import Settings
from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.web.media import MediaCache, Signer, sniff_image
from newsdesk.web.server import build_app
from tests.conftest import test_settings
from tests.loopback import serving
from tests.test_web import NOW

ICONS = Path(__file__).resolve().parents[1] / "src" / "newsdesk" / "web" / "static" / "icons"
PNG = (ICONS / "icon-192.png").read_bytes()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><script>alert(1)</script></html>"
MAX_BYTES = 100_000
BIG_BYTES = 20_000_000
SLOW_S = 4.0


class Images(http.server.BaseHTTPRequestHandler):
    """A publisher's image host: honest images, lies, a huge file and a slow one."""

    hits: Counter[str]
    sent: Counter[str]
    routes: ClassVar[dict[str, tuple[str | None, bytes]]] = {
        "/cat.png": ("image/png", PNG),
        "/photo": (None, JPEG),  # no Content-Type at all: the bytes say JPEG
        "/lying.png": ("image/png", HTML),
        "/svg-as-png.png": ("image/png", SVG),
        "/pic.svg": ("image/svg+xml", SVG),
        "/jpeg-as-html": ("text/html", JPEG),
    }

    def do_GET(self) -> None:
        self.hits[self.path] += 1
        if self.path == "/big.png":
            self._stream_big()
        elif self.path == "/slow.png":
            time.sleep(SLOW_S)
            self._send("image/png", PNG)
        elif self.path in self.routes:
            self._send(*self.routes[self.path])
        else:
            self.send_error(404)

    def _send(self, content_type: str | None, body: bytes) -> None:
        self.send_response(200)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream_big(self) -> None:
        """A PNG that never ends soon, with no Content-Length: the proxy must stop reading, not us."""
        self.protocol_version = "HTTP/1.0"
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        chunk = PNG[:8] + bytes(65_536 - 8)
        with contextlib.suppress(OSError):
            while self.sent["/big.png"] < BIG_BYTES:
                self.wfile.write(chunk)
                self.sent["/big.png"] += len(chunk)

    def log_message(self, format: str, *args: object) -> None:  # the base class's signature
        pass


@pytest.fixture
def publisher() -> Iterator[tuple[str, type[Images]]]:
    handler = type("Handler", (Images,), {"hits": Counter(), "sent": Counter()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def media_settings(tmp_path: Path, **changes: object) -> Settings:
    return test_settings(tmp_path, media_timeout_s=1.0, media_max_bytes=MAX_BYTES, **changes)


@contextlib.contextmanager
def site(settings: Settings) -> Iterator[tuple[str, Newsdesk]]:
    desk = make_newsdesk(settings, clock=lambda: NOW)
    try:
        with serving(build_app(desk, schedule=False)) as base:
            yield base, desk
    finally:
        desk.close()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """Status, headers (looked up case-insensitively) and body of a GET."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def proxied(desk: Newsdesk, url: str) -> str:
    return Signer(desk.media_key()).proxied(url)


def test_an_image_is_served_cached_and_revalidated(
    tmp_path: Path, db_url: str, publisher: tuple[str, type[Images]]
) -> None:
    origin, images = publisher
    settings = replace(media_settings(tmp_path), db=db_url)
    with site(settings) as (base, desk):
        template = build_app(desk, schedule=False).state.templates.envs["en"].from_string("{{ url|proxied }}")
        path = template.render(url=origin + "/cat.png")
        assert path.startswith("/media/") and origin not in path
        status, headers, body = get(base + path)
        assert status == 200 and body == PNG
        assert headers["Content-Type"] == "image/png"
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "max-age=" in headers["Cache-Control"]
        status, _, body = get(base + path)
        assert status == 200 and body == PNG and images.hits["/cat.png"] == 1  # the second came from the cache
        status, _, body = get(base + path, {"If-None-Match": headers["ETag"]})
        assert status == 304 and body == b""
        status, headers, body = get(base + proxied(desk, origin + "/photo"))
        assert status == 200 and headers["Content-Type"] == "image/jpeg" and body == JPEG
    assert len(list((tmp_path / "data" / "media").glob("??/*"))) == 2
    # A restart keeps the key (DATA_DIR/secret_key) and the cache: the same address, no new fetch.
    with site(settings) as (base, _desk):
        status, _, body = get(base + path)
        assert status == 200 and body == PNG and images.hits["/cat.png"] == 1


def test_only_our_signatures_are_served(tmp_path: Path, publisher: tuple[str, type[Images]]) -> None:
    origin, images = publisher
    with site(media_settings(tmp_path)) as (base, desk):
        good = proxied(desk, origin + "/cat.png")
        _, _, signature, encoded = good.split("/")
        other = Signer(b"someone else's key").proxied(origin + "/cat.png")
        tampered = proxied(desk, origin + "/photo").split("/")[3]
        for path in (
            other,
            f"/media/{signature}/{tampered}",
            f"/media/{signature}/!!!",
            f"/media/x{signature}/{encoded}",
        ):
            status, _, body = get(base + path)
            assert status == 403 and b"not made by this site" in body, path
        assert sum(images.hits.values()) == 0


@pytest.mark.parametrize("path", ["/lying.png", "/svg-as-png.png", "/pic.svg", "/jpeg-as-html"])
def test_html_and_svg_are_refused_whatever_they_claim(
    tmp_path: Path, publisher: tuple[str, type[Images]], path: str
) -> None:
    origin, images = publisher
    with site(media_settings(tmp_path)) as (base, desk):
        status, headers, body = get(base + proxied(desk, origin + path))
        assert status == 415 and b"<svg" not in body and b"alert(1)" not in body
        assert headers["Content-Type"].startswith(("text/html", "application/json"))
        status, _, _ = get(base + proxied(desk, origin + path))
        assert status == 415 and images.hits[path] == 1  # a refusal is remembered for a while
    assert not list((tmp_path / "data" / "media").glob("??/*"))


def test_an_oversized_image_is_cut_off(tmp_path: Path, publisher: tuple[str, type[Images]]) -> None:
    origin, images = publisher
    with site(media_settings(tmp_path)) as (base, desk):
        started = time.monotonic()
        status, _, body = get(base + proxied(desk, origin + "/big.png"))
        assert status == 502 and b"image larger than 100 KB" in body, body[:300]
        assert time.monotonic() - started < 5
    time.sleep(0.2)
    assert images.sent["/big.png"] < BIG_BYTES / 2  # the proxy stopped reading long before the end


def test_a_slow_server_times_out(tmp_path: Path, publisher: tuple[str, type[Images]]) -> None:
    origin, _ = publisher
    with site(media_settings(tmp_path)) as (base, desk):
        started = time.monotonic()
        status, _, body = get(base + proxied(desk, origin + "/slow.png"))
        elapsed = time.monotonic() - started
        assert status == 502 and b"timed out" in body
        assert elapsed < SLOW_S - 1  # media_timeout_s (1 s), not the server's 4 s


def test_a_private_address_is_refused_unless_allowed(tmp_path: Path, publisher: tuple[str, type[Images]]) -> None:
    origin, images = publisher
    with site(media_settings(tmp_path, allow_private_networks=False)) as (base, desk):
        status, _, body = get(base + proxied(desk, origin + "/cat.png"))
        assert status == 502 and b"loopback" in body and b"ALLOW_PRIVATE_NETWORKS" in body
    assert images.hits["/cat.png"] == 0


def test_the_filter_proxies_only_http_urls() -> None:
    signer = Signer(b"k")
    assert signer.proxied("https://img.example/a.jpg").startswith("/media/")
    for bad in (None, "", "javascript:alert(1)", "data:image/png;base64,AAAA", "/relative.png", "https://x/a b.png"):
        assert signer.proxied(bad) == "", bad
    assert signer.proxied("https://img.example/" + "a" * 3000) == ""
    path = signer.proxied("https://img.example/ü.png?x=1&y=<2>")
    assert signer.verify(*path.split("/")[2:]) == "https://img.example/ü.png?x=1&y=<2>"


def test_sniffing_knows_the_raster_types() -> None:
    assert sniff_image(PNG) == "image/png" and sniff_image(JPEG) == "image/jpeg"
    assert sniff_image(b"GIF89a" + bytes(10)) == "image/gif"
    assert sniff_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1") == "image/avif"
    assert sniff_image(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic") is None
    for other in (SVG, HTML, b"", b"\x89PNG", b"%PDF-1.7"):
        assert sniff_image(other) is None


def test_the_cache_keeps_within_its_bound(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path / "media", max_bytes=10_000)
    for i in range(8):
        cache.put(f"https://img.example/{i}.png", PNG[:8] + bytes(2_000))
        time.sleep(0.01)  # distinct mtimes: recency is what eviction goes by
    kept = sorted(p.stat().st_size for p in (tmp_path / "media").glob("??/*"))
    assert sum(kept) <= 10_000 and len(kept) == 4
    assert cache.get("https://img.example/7.png") is not None  # the newest stay
    assert cache.get("https://img.example/0.png") is None
