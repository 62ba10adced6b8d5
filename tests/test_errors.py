"""One public error hierarchy: every error offerlang raises on purpose is an OfferlangError."""

from __future__ import annotations

import importlib
import inspect

import pytest

from offerlang.errors import OfferlangBug, OfferlangError

from .test_layers import MODULES

# Signals that steer control flow, not errors (offerlang.errors says why they stay outside),
# and the CLI's own usage error, which is click's.
NOT_ERRORS = {
    "offerlang.campaign.ratelimit.Stopped",
    "offerlang.send.client.SendInterrupted",
    "offerlang.interrupts.Terminated",
    "offerlang.cli.common.InputError",
    # A control-flow signal of `offer import`, shared by the v1 and v2 importers (both turn it
    # into an E603/E621 diagnostic before returning).
    "offerlang.authoring.importer.Inexpressible",
}


def _exception_classes() -> list[tuple[str, type[BaseException]]]:
    found = []
    for name in sorted(m for m in MODULES if not m.endswith(".__main__")):  # those run on import
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == name:
                found.append((f"{name}.{attr}", value))
    return found


CLASSES = _exception_classes()


def test_the_known_errors_are_found():
    names = {name for name, _ in CLASSES}
    assert {"offerlang.compiler.source.UnreadableFile", "offerlang.send.client.SendError"} <= names


@pytest.mark.parametrize(("name", "cls"), CLASSES, ids=[name for name, _ in CLASSES])
def test_every_public_error_is_an_offerlang_error(name, cls):
    if cls.__name__.startswith("_") or name in NOT_ERRORS:
        return  # private control-flow signals stay private
    assert issubclass(cls, OfferlangError), f"{name} should derive from offerlang.errors.OfferlangError"


def test_a_bug_is_an_offerlang_error_too():
    from offerlang.authoring.formatter import FormatterBug

    assert issubclass(FormatterBug, OfferlangBug) and issubclass(OfferlangBug, OfferlangError)
