"""What "safe HTML" means in every test that checks what newsdesk serves: parsed as a
browser-ish parser would, no element or attribute that runs code, loads a frame or a form,
or restyles the reader's page."""

from __future__ import annotations

import html
import re

import lxml.html

FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "form",
    "input",
    "base",
    "meta",
    "link",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "data", "background", "cite"}
_CONTROL_RE = re.compile(r"[\x00-\x20\x7f]+")


def assert_safe(output: str) -> None:
    """Parse the output as a browser-ish HTML parser would and inspect every element."""
    assert "<script" not in output.lower()
    if not output.strip():
        return
    root = parse_fragment(output)
    for element in root.iter():
        assert isinstance(element.tag, str), output  # no comments or processing instructions either
        assert element.tag.lower() not in FORBIDDEN_TAGS, output
        for raw_name, value in element.attrib.items():
            name = raw_name.lower()
            assert not name.startswith("on"), output
            assert name != "style", output
            if name in URL_ATTRIBUTES:
                url = _CONTROL_RE.sub("", html.unescape(value)).lower()
                assert not url.startswith(("javascript:", "vbscript:", "data:")), output


def parse_fragment(output: str) -> lxml.html.HtmlElement:
    # lxml's API refuses C0 control characters, which HTML (and so the sanitizer) lets through as text.
    return lxml.html.fragment_fromstring(_C0_RE.sub(" ", output), create_parent="div")


_C0_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
