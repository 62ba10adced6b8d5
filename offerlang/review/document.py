"""A tiny document model shared by `offer explain` and `offer diff`: headings, lines and
tables, rendered as plain text (pipes, files, CI logs), markdown (pull-request comments) or,
on a terminal, rich tables. One model, so the three outputs never say different things.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TextIO

from offerlang.text import has_control, quote, visible

# A value with these cannot stand bare between the words around it.
_NEEDS_QUOTES = re.compile('[\\s",=→]')
# Markdown (GitHub) punctuation that could start emphasis, code, a link or a table cell.
_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]|~#!])")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def say(value: str) -> str:
    """A value written by the offer's author, as it reads in a sentence: bare when it is one
    plain word, otherwise quoted (`"campaign name"`) with quotes and control characters escaped."""
    if value and not _NEEDS_QUOTES.search(value) and not has_control(value):
        return value
    return quote(value)


def md_text(text: str) -> str:
    """`text` as literal markdown: no emphasis, code, links, HTML or table breaks, one line,
    and nothing GitHub would turn into a mention, a reference or a link (see `unlinked`)."""
    text = re.sub("[&<>]", lambda m: _MD_ENTITIES[m[0]], unlinked(visible(text)))
    return _MD_PUNCTUATION.sub(r"\\\1", text)


# GitHub turns `@name` into a mention (a notification to that person or team), `#12`,
# `owner/repo#12` and `GH-12` into references, and `http://…`, `www.…` and `a@b.example` into
# links, in rendered text whatever markdown escapes it had. A WORD JOINER (U+2060, invisible,
# not a space) after `@` and `#`, inside `://`, after `www` and after `GH` breaks each pattern
# and leaves the text reading the same. `www` counts after anything but a letter or a digit:
# GitHub links `_www.…` (and `*www.…`, `~www.…`, `(www.…`), where `\b` sees no word boundary.
_JOINER = "\u2060"
_LINKISH = re.compile(
    r"(?<=[@#])|(?<=:)(?=//)|(?<=(?<![A-Za-z0-9])www)(?=\.)|(?<=(?<![A-Za-z0-9])gh)(?=-\d)",
    re.IGNORECASE,
)


def unlinked(text: str) -> str:
    """`text` that GitHub shows as typed: no mention, issue reference or autolink."""
    return _LINKISH.sub(_JOINER, text)


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int = 1  # 1: a file, 2: a part of it, 3: a table's title


@dataclass(frozen=True, slots=True)
class Line:
    text: str


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    show_header: bool = True  # a two-column "what: detail" table reads better without one in text
    right: tuple[int, ...] = ()  # columns of amounts, aligned on the right so decimals line up


Block = Heading | Line | Table


def to_plain(blocks: list[Block]) -> str:
    out: list[str] = []
    indent = ""
    for b in blocks:
        if isinstance(b, Heading):
            if out and b.level < 3:
                out.append("")
            indent = "  " * (b.level - 1)
            out.append(indent + visible(b.text))
            indent = "  " * b.level
        elif isinstance(b, Line):
            out.append(indent + visible(b.text))
        else:
            rows = [tuple(visible(c) for c in r) for r in ([b.header] if b.show_header else []) + b.rows]
            widths = [max(len(r[i]) for r in rows) for i in range(len(b.header))]
            for r in rows:
                cells = [
                    c.rjust(w) if i in b.right else c.ljust(w)
                    for i, (c, w) in enumerate(zip(r, widths, strict=True))
                ]
                out.append((indent + "  ".join(cells)).rstrip())
    return "\n".join(out) + "\n"


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            # A table's title is bold text, not a fifth-level heading lost in a long comment.
            text = md_text(b.text)
            out.extend([f"**{text}**" if b.level == 3 else f"{'#' * (b.level + 2)} {text}", ""])
        elif isinstance(b, Line):
            out.extend([md_text(b.text), ""])
        else:
            header = b.header if b.show_header else tuple("" for _ in b.header)
            out.append("| " + " | ".join(md_text(c) for c in header) + " |")
            out.append("|" + "|".join("---:" if i in b.right else "---" for i in range(len(header))) + "|")
            out.extend("| " + " | ".join(md_text(c) for c in r) + " |" for r in b.rows)
            out.append("")
    return "\n".join(out)


def print_rich(blocks: list[Block], stream: TextIO) -> None:
    """Tables for a person at a terminal. rich is imported here only: never on `--help`."""
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table as RichTable

    console = Console(file=stream, highlight=False)
    title = ""
    for b in blocks:
        if isinstance(b, Heading):
            if b.level == 3:
                title = visible(b.text)
                continue
            console.print(("\n" if b.level == 2 else "") + f"[bold]{escape(visible(b.text))}[/bold]")
        elif isinstance(b, Line):
            console.print(escape(visible(b.text)))
        else:
            table = RichTable(
                title=escape(title) if title else None,
                title_justify="left",
                show_header=b.show_header,
                box=box.SIMPLE,
            )
            for i, name in enumerate(b.header):
                table.add_column(escape(name), justify="right" if i in b.right else "left")
            for r in b.rows:
                table.add_row(*(escape(visible(c)) for c in r))
            console.print(table)
            title = ""
