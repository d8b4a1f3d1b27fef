"""Plain text and links from the small HTML fragments social platforms put in post bodies and bios.

Mastodon (and other fediverse servers) send a status's ``content`` and an account's ``note`` as sanitised
HTML: paragraphs, line breaks, links, and links styled as ``#hashtags`` or ``@mentions``. Readers need the
text a person would read, with paragraphs and line breaks kept, and the links that point elsewhere. This
module uses the standard library's HTML parser, which tolerates the unclosed and malformed tags remote servers
sometimes send.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

#: Elements that start and end a block of text: their content goes on lines of its own.
_BLOCKS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "tr"}
)
#: Paragraph-like blocks are separated by an empty line, as they are rendered.
_PARAGRAPHS = frozenset({"p", "blockquote", "pre", "ul", "ol"})
#: Void elements never get an end tag, so they open nothing (HTMLParser calls the end handler for "<br/>").
_VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "wbr", "source", "area", "col", "embed"})
_SPACE = re.compile(r"[ \t\r\n\f]+")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass
class HtmlText:
    """The readable text of an HTML fragment and the addresses of its links."""

    text: str
    #: ``href`` of every link that is not a hashtag or mention link, in order, without repeats.
    links: list[str] = field(default_factory=list)


def html_to_text(html: str) -> HtmlText:
    """Turn an HTML fragment into plain text, keeping paragraphs (blank line) and ``<br>`` (newline).

    Character references are decoded, runs of white space inside text collapse to one space (as a browser
    shows them; ``<pre>`` keeps its white space), and the text of every element is kept, including the spans
    Mastodon hides to shorten long links, so a link reads as its full address. Elements of class
    ``quote-inline`` (the "RE: link" fallback Mastodon adds to quote posts) are left out: the quote is read
    from the status itself.

    Examples
    --------
    >>> html_to_text('<p>Hello &amp; <a href="https://x.example/a">x.example/a</a></p><p>two<br>lines</p>')
    HtmlText(text='Hello & x.example/a\\n\\ntwo\\nlines', links=['https://x.example/a'])
    """
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return HtmlText(text=parser.text(), links=list(dict.fromkeys(parser.links)))


def _is_tag_link(attrs: dict[str, str]) -> bool:
    classes = attrs.get("class", "").split()
    rels = attrs.get("rel", "").split()
    return "mention" in classes or "hashtag" in classes or "tag" in rels


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._pre = 0
        # Newlines owed before the next text: a block boundary asks for at least one (two between
        # paragraphs) however many boundaries meet, each <br> adds one.
        self._newlines = 0
        # Depth of open elements inside a skipped element (0: not skipping).
        self._skip = 0
        # The open link: its href (None for a tag/mention link) and the text seen inside it.
        self._link: tuple[str | None, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in _VOID:
            if tag == "br" and not self._skip:
                self._newlines += 1
            return
        if self._skip or "quote-inline" in values.get("class", "").split():
            self._skip += 1
            return
        if tag in _BLOCKS:
            self._break(tag)
            if tag == "pre":
                self._pre += 1
        elif tag == "a":
            href = values.get("href", "").strip()
            self._link = (None if _is_tag_link(values) or not href else href, [])

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if self._skip:
            self._skip -= 1
            return
        if tag in _BLOCKS:
            if tag == "pre" and self._pre:
                self._pre -= 1
            self._break(tag)
        elif tag == "a" and self._link is not None:
            href, text = self._link
            # Fediverse servers that do not mark tag and mention links still show them as "#tag"/"@user".
            if href is not None and not "".join(text).lstrip().startswith(("#", "@", "\uff03", "\uff20")):
                self.links.append(href)
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        text = data if self._pre else _SPACE.sub(" ", data)
        if self._newlines:
            if not text.strip():
                return  # white space between blocks in the HTML source
            if self.parts:
                self.parts.append("\n" * self._newlines)
            self._newlines = 0
        self.parts.append(text)
        if self._link is not None:
            self._link[1].append(text)

    def _break(self, tag: str) -> None:
        self._newlines = max(self._newlines, 2 if tag in _PARAGRAPHS else 1)

    def text(self) -> str:
        lines = [line.strip(" ") for line in "".join(self.parts).split("\n")]
        return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
