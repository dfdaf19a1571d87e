"""The image proxy: publishers' images served from ``/media/…``, so readers' browsers talk only to newsdesk.

A page never links a publisher's image directly: the ``proxied`` template filter turns its URL
into ``/media/{signature}/{encoded_url}``, where ``encoded_url`` is the URL in unpadded base64url
and ``signature`` an HMAC-SHA256 of it under the site's key. Only addresses our own pages made are
served, so this is no open proxy for others' URLs (the model is miniflux's ``internal/mediaproxy``).

A request for a signed address is answered from the disk cache (``DATA_DIR/media``) or fetched
through the facade — the fetcher with its SSRF guard, so a private address is refused unless
``allow_private_networks`` — within ``media_max_bytes`` and ``media_timeout_s``. The bytes must be
a JPEG, PNG, GIF, WebP or AVIF image by their own signature, whatever the publisher's
``Content-Type`` says: never SVG (it can carry script), never HTML. What is served carries a
``default-src 'none'`` CSP, ``nosniff``, an ETag and a long ``Cache-Control``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from newsdesk.core import Newsdesk
from newsdesk.errors import FetchError
from newsdesk.logs import event
from newsdesk.web.deps import Desk

log = logging.getLogger(__name__)

PREFIX = "/media"
MAX_URL_CHARS = 2048  # a longer image URL is not proxied (the template shows no image)
MEDIA_CSP = "default-src 'none'; sandbox"  # an image is never a document with rights of ours
CACHE_CONTROL = "public, max-age=2592000, immutable"  # a signed address always means the same URL
FAILURE_TTL_S = 600.0  # an image that could not be served is not asked for again this soon
FAILURES_KEPT = 4096
CONCURRENT_FETCHES = 8  # a page full of new images does not open a connection per image at once

router = APIRouter()


# -- signing ---------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class Signer:
    """Signs publisher image URLs into ``/media`` paths and checks the paths it is shown."""

    key: bytes

    def signature(self, url: str) -> str:
        return _b64(hmac.new(self.key, url.encode(), hashlib.sha256).digest())

    def path(self, url: str) -> str:
        return f"{PREFIX}/{self.signature(url)}/{_b64(url.encode())}"

    def proxied(self, url: str | None) -> str:
        """``{{ article.image_url|proxied }}``: our media path for an http(s) image URL, '' for anything else."""
        url = (url or "").strip()
        if not url.lower().startswith(("http://", "https://")) or len(url) > MAX_URL_CHARS:
            return ""
        if any(c in url for c in "\x00\r\n\t "):
            return ""
        return self.path(url)

    def verify(self, signature: str, encoded: str) -> str | None:
        """The URL a path stands for, or None when its signature is not ours."""
        try:
            url = _unb64(encoded).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        if not hmac.compare_digest(signature.encode(), self.signature(url).encode()):
            return None
        return url


# -- what an image is ----------------------------------------------------------------------------

_RASTER_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/avif")


def sniff_image(body: bytes) -> str | None:
    """The image type the bytes themselves declare (JPEG, PNG, GIF, WebP, AVIF), or None.

    Only the file signature counts: a publisher's ``Content-Type`` may lie, and a browser told
    ``image/png`` for an SVG or an HTML page would still not run it, but we never serve one at all.
    """
    if body.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if body.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if body.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    if body[4:8] == b"ftyp":  # an ISO media file: AVIF if its major or a compatible brand says so
        size = int.from_bytes(body[:4], "big")
        brands = body[8 : min(max(size, 16), 256)]
        if any(brands[i : i + 4] in (b"avif", b"avis") for i in range(0, len(brands) - 3, 4)):
            return "image/avif"
    return None


def _declared_type_allowed(content_type: str | None) -> bool:
    """A publisher's declared type is only believed to say what an image is not (HTML, SVG, text)."""
    if content_type is None:
        return True
    kind = content_type.lower()
    return (
        kind in _RASTER_TYPES
        or kind in ("application/octet-stream", "binary/octet-stream")
        or (kind.startswith("image/") and "svg" not in kind)
    )


# -- the disk cache --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Image:
    body: bytes
    content_type: str
    etag: str


class MediaCache:
    """Images on disk under ``directory``, one file per URL, the least recently served evicted first.

    Files are named by the SHA-256 of their URL (two-letter subdirectories); a hit touches the
    file's mtime, which is the recency eviction goes by. Writes go to a temporary file renamed into
    place, so a reader never sees half an image. Blocking: call from a thread.
    """

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._total: int | None = None  # bytes on disk, counted on first write

    @staticmethod
    def digest(url: str) -> str:
        return hashlib.sha256(url.encode()).hexdigest()

    def _file(self, digest: str) -> Path:
        return self.directory / digest[:2] / digest

    def get(self, url: str) -> Image | None:
        digest = self.digest(url)
        path = self._file(digest)
        try:
            body = path.read_bytes()
            os.utime(path)
        except FileNotFoundError:
            return None
        kind = sniff_image(body)
        return Image(body, kind, f'"{digest[:32]}"') if kind else None

    def put(self, url: str, body: bytes) -> None:
        path = self._file(self.digest(url))
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        temporary.write_bytes(body)
        os.replace(temporary, path)
        if self._total is None:
            self._total = sum(p.stat().st_size for p in self._files())
        else:
            self._total += len(body)
        if self._total > self.max_bytes:
            self._evict()

    def _files(self) -> list[Path]:
        return [p for p in self.directory.glob("??/*") if not p.name.endswith(".tmp")]

    def _evict(self) -> None:
        """Delete the least recently served files until the cache is back under 90% of its bound."""
        entries = []
        for path in self._files():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
        entries.sort()
        total = sum(size for _, size, _ in entries)
        target = self.max_bytes * 0.9
        for _, size, path in entries:
            if total <= target:
                break
            path.unlink(missing_ok=True)
            total -= size
        self._total = total
        log.info(event("media.evicted", bytes=total))


# -- the proxy ---------------------------------------------------------------------------------


class MediaProxy:
    """Signed addresses, the cache, recent failures and the bound on concurrent fetches of one app."""

    def __init__(self, signer: Signer, cache: MediaCache) -> None:
        self.signer = signer
        self.cache = cache
        self._failures: OrderedDict[str, tuple[float, int, str]] = OrderedDict()
        self._fetching = asyncio.Semaphore(CONCURRENT_FETCHES)

    @classmethod
    def of(cls, desk: Newsdesk) -> MediaProxy:
        settings = desk.settings
        cache = MediaCache(Path(settings.resolved_data_dir) / "media", settings.media_cache_max_bytes)
        return cls(Signer(desk.media_key()), cache)

    async def image(self, desk: Newsdesk, url: str) -> Image:
        """The image at ``url`` from the cache or the publisher; HTTPException when there is none to serve."""
        cached = await run_in_threadpool(self.cache.get, url)
        if cached is not None:
            return cached
        failure = self._failures.get(url)
        if failure is not None and failure[0] > time.monotonic():
            raise HTTPException(failure[1], failure[2])
        try:
            async with self._fetching:
                image = await self._fetch(desk, url)
        except HTTPException as exc:
            self._remember_failure(url, exc.status_code, str(exc.detail))
            raise
        await run_in_threadpool(self.cache.put, url, image.body)
        return image

    async def _fetch(self, desk: Newsdesk, url: str) -> Image:
        try:
            doc = await desk.fetch_image(url)
        except FetchError as exc:
            log.info(event("media.failed", url=url, reason=exc.reason))
            raise HTTPException(502, f"the image could not be fetched: {exc.reason}") from exc
        kind = sniff_image(doc.body)
        if kind is None or not _declared_type_allowed(doc.content_type):
            log.info(event("media.refused", url=url, content_type=doc.content_type))
            raise HTTPException(
                415, "the publisher's file is not an image newsdesk serves (JPEG, PNG, GIF, WebP, AVIF)"
            )
        return Image(doc.body, kind, f'"{self.cache.digest(url)[:32]}"')

    def _remember_failure(self, url: str, status: int, message: str) -> None:
        self._failures[url] = (time.monotonic() + FAILURE_TTL_S, status, message)
        self._failures.move_to_end(url)
        while len(self._failures) > FAILURES_KEPT:
            self._failures.popitem(last=False)


def _headers(etag: str) -> dict[str, str]:
    return {
        "Cache-Control": CACHE_CONTROL,
        "ETag": etag,
        "Content-Security-Policy": MEDIA_CSP,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline",
    }


@router.get(PREFIX + "/{signature}/{encoded}")
async def media(signature: str, encoded: str, request: Request, desk: Desk) -> Response:
    """A publisher's image, if this address was signed by us: 403 otherwise, 415 for what is no image,
    502 when it cannot be fetched (a refused address, a timeout, too large)."""
    proxy: MediaProxy = request.app.state.media
    url = proxy.signer.verify(signature, encoded)
    if url is None:
        raise HTTPException(403, "this image address was not made by this site")
    etag = f'"{proxy.cache.digest(url)[:32]}"'
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=_headers(etag))
    image = await proxy.image(desk, url)
    return Response(image.body, media_type=image.content_type, headers=_headers(image.etag))
