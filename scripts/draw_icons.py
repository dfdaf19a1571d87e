"""Draw the app icons in ``src/newsdesk/web/static/icons/`` (the web app manifest's and the favicon).

Run from the repository root::

    .venv/bin/python scripts/draw_icons.py

A folded newspaper, white on the header's near-black, drawn from rectangles at 4x supersampling
and written as PNG with the standard library alone (no imaging library is a dependency). The
maskable icon draws it smaller, inside the safe zone (the central circle of 80% of the side)
that a launcher's mask never cuts. The output is byte-for-byte deterministic.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "newsdesk" / "web" / "static" / "icons"
BACKGROUND = (0x11, 0x11, 0x11)
PAPER = (0xFF, 0xFF, 0xFF)
INK = (0x11, 0x11, 0x11)
ACCENT = (0x0B, 0x57, 0xA4)  # the site's link colour
SAMPLES = 4

Box = tuple[float, float, float, float]  # left, top, right, bottom, in units of the icon's side


def _shapes(scale: float) -> list[tuple[Box, tuple[int, int, int]]]:
    """The drawing, centred, ``scale`` the size of a full-bleed icon's (later shapes paint over)."""
    raw: list[tuple[Box, tuple[int, int, int]]] = [
        ((0.20, 0.18, 0.80, 0.82), PAPER),  # the page
        ((0.27, 0.25, 0.73, 0.36), INK),  # the masthead
        ((0.27, 0.42, 0.48, 0.60), ACCENT),  # a picture
        ((0.53, 0.42, 0.73, 0.46), INK),  # the lines of text beside it and below
        ((0.53, 0.50, 0.73, 0.54), INK),
        ((0.53, 0.58, 0.73, 0.62), INK),
        ((0.27, 0.66, 0.73, 0.70), INK),
        ((0.27, 0.74, 0.62, 0.78), INK),
    ]
    return [(tuple(0.5 + (v - 0.5) * scale for v in box), colour) for box, colour in raw]  # type: ignore[misc]


def _pixels(size: int, scale: float) -> bytes:
    shapes = _shapes(scale)
    rows = bytearray()
    n = SAMPLES * SAMPLES
    for y in range(size):
        rows.append(0)  # PNG filter: none
        for x in range(size):
            total = [0, 0, 0]
            for sy in range(SAMPLES):
                v = (y + (sy + 0.5) / SAMPLES) / size
                for sx in range(SAMPLES):
                    u = (x + (sx + 0.5) / SAMPLES) / size
                    colour = BACKGROUND
                    for (left, top, right, bottom), c in shapes:
                        if left <= u < right and top <= v < bottom:
                            colour = c
                    total[0] += colour[0]
                    total[1] += colour[1]
                    total[2] += colour[2]
            rows += bytes(round(t / n) for t in total)
    return bytes(rows)


def _png(size: int, pixels: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels, 9)) + chunk(b"IEND", b"")
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, scale in [("icon-192.png", 192, 1.0), ("icon-512.png", 512, 1.0), ("maskable-512.png", 512, 0.75)]:
        (OUT / name).write_bytes(_png(size, _pixels(size, scale)))
        print(OUT / name)


if __name__ == "__main__":
    main()
