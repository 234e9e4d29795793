from __future__ import annotations

from proxy.redis_replies import int_fields, text


def test_text_reads_bytes_and_str_alike() -> None:
    assert text(b"caf\xc3\xa9") == "café"
    assert text("café") == "café"


def test_int_fields_reads_a_counter_hash_from_either_kind_of_client() -> None:
    assert int_fields({b"matched": b"12", b"diff:a.b": b"3"}) == {"matched": 12, "diff:a.b": 3}
    assert int_fields({"matched": "12"}) == {"matched": 12}
    assert int_fields({}) == {}
