"""A tiny document model shared by `offer explain` and `offer diff`: headings, lines and
tables, rendered as plain text (pipes, files, CI logs), markdown (pull-request comments) or,
on a terminal, rich tables. One model, so the three outputs never say different things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TextIO


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
            out.append(indent + b.text)
            indent = "  " * b.level
        elif isinstance(b, Line):
            out.append(indent + b.text)
        else:
            rows = ([b.header] if b.show_header else []) + b.rows
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
            out.extend([f"**{b.text}**" if b.level == 3 else f"{'#' * (b.level + 2)} {b.text}", ""])
        elif isinstance(b, Line):
            out.extend([b.text, ""])
        else:
            header = b.header if b.show_header else tuple("" for _ in b.header)
            out.append("| " + " | ".join(_md_cell(c) for c in header) + " |")
            out.append("|" + "|".join("---:" if i in b.right else "---" for i in range(len(header))) + "|")
            out.extend("| " + " | ".join(_md_cell(c) for c in r) + " |" for r in b.rows)
            out.append("")
    return "\n".join(out)


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


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
                title = b.text
                continue
            console.print(("\n" if b.level == 2 else "") + f"[bold]{escape(b.text)}[/bold]")
        elif isinstance(b, Line):
            console.print(escape(b.text))
        else:
            table = RichTable(
                *b.header,
                title=title or None,
                title_justify="left",
                show_header=b.show_header,
                box=box.SIMPLE,
            )
            for r in b.rows:
                table.add_row(*(escape(c) for c in r))
            console.print(table)
            title = ""
