"""What the review site and the verification station share to put a report's
text on a web page safely.

Every text in these pages comes from documents someone else wrote (titles,
issuing bodies, row labels and annex indicator names, values, flag details, file
names) or from a reviewer. So pages are rendered only by Jinja2 with
autoescaping on for every template: a text is escaped wherever it lands
(element text, attribute values, always quoted), never pasted into HTML by
string formatting. No page carries inline script or style, and each says so
with a Content-Security-Policy (a header from the station, a ``<meta>`` in the
static site's files): an injected handler or ``<script>`` would not run even if
escaping ever failed. Geometry (a cell's box on a page) travels as numbers in
SVG attributes or data attributes, never as a ``style``.
"""

from __future__ import annotations

from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

# the static review site, opened from disk: its own script, style sheet and images
STATIC_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
              "base-uri 'none'; form-action 'none'")
# the station adds its forms; frame-ancestors only works as a header
STATION_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def path_part(value) -> str:
    """A text as one segment of a URL path: every character that means something
    in a URL (``/ ? # % :`` …) percent-encoded."""
    return quote("" if value is None else str(value), safe="")


def environment(folder: str, strict: bool = True) -> Environment:
    """A Jinja2 environment over ``pipeline/<folder>`` that escapes every
    template's output, whatever its name; ``strict``: an unknown variable is an
    error, not an empty string."""
    env = Environment(loader=PackageLoader("pipeline", folder), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, **({"undefined": StrictUndefined} if strict else {}))
    env.filters["path_part"] = path_part
    return env
