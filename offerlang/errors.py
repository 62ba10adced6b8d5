"""The errors offerlang raises on purpose, under one base class.

Every public error is an `OfferlangError` with a message written for the user; catch that one
class to handle them all. The CLI turns the ones about the command line or the environment into
exit code 2 and `OfferlangBug` into 70. Where each is raised:

    OfferlangError
    ├── UnreadableFile        offerlang.compiler.source   a path that cannot be read at all
    ├── OfferlangBug          here                        offerlang broke one of its own promises
    │   └── FormatterBug      offerlang.authoring.formatter
    ├── RowsError             offerlang.campaign.rows     a rows file that cannot be used
    ├── LedgerError           offerlang.campaign.ledger   a ledger that cannot be used
    ├── GitError              offerlang.review.revisions  `offer diff --base` cannot ask git
    ├── MissingCredentials    offerlang.send.client       no API credentials in the environment
    ├── SendError             offerlang.send.client       a request that created no session
    ├── ReceiptsUnusable      offerlang.send.batch        receipts that cannot be read or written
    ├── JournalBusy           offerlang.send.journal      another run holds a journal's lock
    ├── Refused (an OSError)  offerlang.files             a file offerlang will not write
    ├── Changed (an OSError)  offerlang.files             a file changed while it was worked on
    ├── CatalogProblem        offerlang.store.catalog     a catalog record or file of the wrong shape
    ├── Unreadable            offerlang.store.pull        a products answer of the wrong shape
    └── ApiError              offerlang.action.github     GitHub refused or could not be reached
        └── ReadOnly                                      the token may not write (a fork)

Control-flow signals are not errors and stay outside: `campaign.ratelimit.Stopped` (the
campaign is stopping), `send.client.SendInterrupted` (a KeyboardInterrupt that knows whether a
request was in flight), `interrupts.Terminated` (SIGTERM, taken like Ctrl-C), and the private
ones each module keeps to itself.

This module imports nothing.
"""

from __future__ import annotations


class OfferlangError(Exception):
    """Base of every error offerlang raises on purpose; its message is meant for the user."""


class OfferlangBug(OfferlangError):
    """offerlang caught itself breaking one of its own promises (a formatter that would change
    what an offer means, an importer that wrote source it cannot read): please report it."""
