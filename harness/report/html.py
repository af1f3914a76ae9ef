"""report.html: the Markdown report rendered by markdown-it-py into a Jinja2 page."""

from __future__ import annotations

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("harness.report", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    keep_trailing_newline=True,
)
# CommonMark with tables; raw HTML in the Markdown is escaped, not passed through
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def render(markdown: str, title: str) -> str:
    """Return the Markdown as a standalone HTML page."""
    body = Markup(_MARKDOWN.render(markdown))
    return _ENVIRONMENT.get_template("report.html.j2").render(title=title, body=body)
