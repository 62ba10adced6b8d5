"""The schema gate's verdict cache: it spares the work, never the check."""

from __future__ import annotations

import pytest

from offerlang import compile_file
from offerlang.compiler import schema

from .conftest import EXAMPLES

SPRING = EXAMPLES / "spring-promotion.offer"


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("OFFERLANG_NO_CACHE", raising=False)
    return tmp_path


def _count_validations(monkeypatch) -> list[object]:
    seen: list[object] = []
    real = schema.schema_errors

    def counting(payload, *target):
        seen.append(payload)
        return real(payload, *target)

    monkeypatch.setattr(schema, "schema_errors", counting)
    return seen


def test_an_accepted_payload_is_not_validated_twice(cache_home, monkeypatch):
    seen = _count_validations(monkeypatch)
    first, second = compile_file(SPRING), compile_file(SPRING)
    assert first.ok and second.ok and first.payload == second.payload
    assert len(seen) == 1
    (marker,) = (cache_home / "offerlang" / "verdicts").iterdir()
    assert marker.stat().st_size == 0 and marker.stat().st_mode & 0o077 == 0


def test_a_different_payload_is_validated(cache_home, monkeypatch):
    seen = _count_validations(monkeypatch)
    compile_file(SPRING)
    compile_file(EXAMPLES / "paid-trial.offer")
    assert len(seen) == 2


def test_a_rejected_payload_is_never_remembered(cache_home):
    broken = {"account": "abCdE1FGH2Hij3KLMnOpqR", "items": [{"product": "Not A Path"}]}
    for _ in range(2):
        assert [d.code for d in schema.validate(broken, {})] == ["E901"]
    assert not (cache_home / "offerlang" / "verdicts").exists() or not any(
        (cache_home / "offerlang" / "verdicts").iterdir()
    )


def test_no_cache_validates_every_time(cache_home, monkeypatch):
    monkeypatch.setenv("OFFERLANG_NO_CACHE", "1")
    seen = _count_validations(monkeypatch)
    compile_file(SPRING)
    compile_file(SPRING)
    assert len(seen) == 2
    assert not (cache_home / "offerlang").exists()


def test_a_cache_folder_others_can_write_is_not_trusted(cache_home, monkeypatch):
    compile_file(SPRING)
    (cache_home / "offerlang" / "verdicts").chmod(0o777)
    seen = _count_validations(monkeypatch)
    compile_file(SPRING)
    assert len(seen) == 1


def test_another_jsonschema_release_validates_again(cache_home, monkeypatch):
    seen = _count_validations(monkeypatch)
    compile_file(SPRING)
    monkeypatch.setattr(schema, "_jsonschema_release", lambda: "jsonschema-99.0.0.dist-info")
    compile_file(SPRING)
    assert len(seen) == 2


def test_the_jsonschema_release_is_read_without_importing_it():
    import importlib.metadata

    assert schema._jsonschema_release() == f"jsonschema-{importlib.metadata.version('jsonschema')}.dist-info"
