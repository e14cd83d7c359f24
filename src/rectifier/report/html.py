"""Self-contained HTML pages: inline CSS, images as ``data:`` URIs, no script, no network.

Every piece of text is escaped with :func:`html.escape`; only fragments made by the helpers here
(:class:`Markup`) are inserted as HTML. A page is a title and a list of :class:`Section` objects
whose blocks are plain text (escaped, one paragraph each) or fragments from :func:`image`,
:func:`table`, :func:`paragraph`, :func:`bullets` and :func:`preformatted`.

>>> page = render_page("Doctor <report>", [Section("Sites", [table(["site"], [["relu#0"]])])])
>>> "<title>Doctor &lt;report&gt;</title>" in page, "<td>relu#0</td>" in page
(True, True)
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "Markup",
    "Section",
    "anchor",
    "bullets",
    "image",
    "link",
    "paragraph",
    "preformatted",
    "render_page",
    "table",
]


class Markup(str):
    """A fragment of HTML that is already safe: inserted as is, never escaped again."""


def _text(value: object) -> str:
    return value if isinstance(value, Markup) else html.escape(str(value), quote=True)


def paragraph(text: str, *, css_class: str | None = None) -> Markup:
    """One ``<p>``; the text is escaped.

    >>> paragraph("a < b")
    '<p>a &lt; b</p>'
    """
    cls = f' class="{html.escape(css_class)}"' if css_class else ""
    return Markup(f"<p{cls}>{_text(text)}</p>")


def link(target: str, text: str) -> Markup:
    """A link to an anchor on the same page (``target`` without ``#``): pages link nowhere else.

    >>> link("study-dying", "dying <ReLU>")
    '<a href="#study-dying">dying &lt;ReLU&gt;</a>'
    """
    return Markup(f'<a href="#{html.escape(target, quote=True)}">{_text(text)}</a>')


def anchor(name: str) -> Markup:
    """An empty anchor that :func:`link` can point at.

    >>> anchor("study-dying")
    '<a id="study-dying"></a>'
    """
    return Markup(f'<a id="{html.escape(name, quote=True)}"></a>')


def bullets(items: Iterable[object]) -> Markup:
    """A ``<ul>`` with one escaped item per entry."""
    return Markup("<ul>" + "".join(f"<li>{_text(i)}</li>" for i in items) + "</ul>")


def preformatted(text: str) -> Markup:
    """Text in ``<pre>`` (escaped), e.g. a command line or a terminal table."""
    return Markup(f"<pre>{_text(text)}</pre>")


def image(png: bytes, alt: str, *, caption: str | None = None) -> Markup:
    """An ``<img>`` holding the PNG as a base64 ``data:`` URI, in a ``<figure>``."""
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{_text(caption)}</figcaption>" if caption else ""
    return Markup(
        f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}">'
        f"{cap}</figure>"
    )


def table(
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    row_classes: Sequence[str | None] | None = None,
) -> Markup:
    """A ``<table>``; every cell is escaped unless it is :class:`Markup`.

    ``row_classes`` gives each row a CSS class (e.g. ``"bad"`` to highlight it).
    """
    head = "".join(f"<th>{_text(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = row_classes[i] if row_classes is not None and i < len(row_classes) else None
        attr = f' class="{html.escape(cls)}"' if cls else ""
        body.append(f"<tr{attr}>" + "".join(f"<td>{_text(c)}</td>" for c in row) + "</tr>")
    return Markup(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


@dataclass
class Section:
    """A titled part of a page; ``blocks`` are plain strings (paragraphs) or :class:`Markup`."""

    title: str
    blocks: list[object] = field(default_factory=list)

    def render(self) -> str:
        parts = [f"<section><h2>{_text(self.title)}</h2>"]
        for block in self.blocks:
            parts.append(block if isinstance(block, Markup) else paragraph(str(block)))
        parts.append("</section>")
        return "\n".join(parts)


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 60em; padding: 0 1em; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.8em; }
.subtitle { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; font-family: ui-monospace, monospace; }
th { background: #f3f3f3; }
tr.bad td { background: #fde8e8; }
tr.warn td { background: #fff6dd; }
tr.good td { background: #e9f7ec; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.88em; }
footer { margin-top: 3em; color: #777; font-size: 0.85em; }
"""


def render_page(
    title: str,
    sections: Sequence[Section],
    *,
    subtitle: str | None = None,
    footer: str | None = None,
    generated: _dt.datetime | None = None,
) -> str:
    """The whole page as a string: no external resources, no script.

    ``generated`` (default: now, UTC) is printed in the footer; pass a fixed value for
    reproducible output.
    """
    when = (generated or _dt.datetime.now(_dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    foot = f"{_text(footer)} · " if footer else ""
    sub = f'<p class="subtitle">{_text(subtitle)}</p>' if subtitle else ""
    body = "\n".join(s.render() for s in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_text(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{_text(title)}</h1>\n{sub}\n{body}\n"
        f"<footer>{foot}generated {html.escape(when)}</footer>\n</body>\n</html>\n"
    )
