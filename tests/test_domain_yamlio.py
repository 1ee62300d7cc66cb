"""scheduler/domain/yamlio.py: what a YAML file may be before it is parsed (DESIGN.md,
Limits): a regular file, of bounded size and node count, UTF-8 text, no lone surrogates.
The limits are lowered here rather than met with files of megabytes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scheduler.domain import yamlio
from scheduler.domain.yamlio import read_bounded, read_document
from scheduler.errors import InputError

REGULAR_ONLY = "not a regular file; only regular files are read (DESIGN.md, Limits)"


def refusal(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        read_document(path)
    (problem,) = caught.value.problems
    return str(problem)


def test_a_device_is_refused_before_it_is_read():
    """/dev/zero never ends: it was read until memory ran out."""
    assert refusal(Path("/dev/zero")) == f"/dev/zero: a device, {REGULAR_ONLY}"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    """Opening a FIFO to read waits for a writer: modsched hung."""
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    assert refusal(fifo) == f"{fifo}: a FIFO, {REGULAR_ONLY}"


def test_a_folder_is_refused_with_the_rule(tmp_path):
    folder = tmp_path / "p.yaml"
    folder.mkdir()
    assert refusal(folder) == f"{folder}: a folder, {REGULAR_ONLY}"


def test_file_size_is_checked_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", 1_000)
    path = tmp_path / "p.yaml"
    path.write_text("# padding\n" * 150)
    assert refusal(path) == (
        f"{path}: file is 1,500 bytes; at most 1,000 are read (DESIGN.md, Limits)"
    )


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="no /proc")
def test_a_file_longer_than_its_size_says_is_read_only_to_the_limit():
    """/proc files report size 0 and still have content, as a file that grows after its
    size was checked: at most limit + 1 bytes are read, then it is refused."""
    with pytest.raises(InputError) as caught:
        read_bounded(Path("/proc/self/status"), 10)
    assert str(caught.value) == (
        "/proc/self/status: file grew past 10 bytes; at most 10 are read (DESIGN.md, Limits)"
    )


def test_node_limit_stops_parsing_where_it_is_reached(tmp_path, monkeypatch):
    """A 2.5 MB list took 134 s and 1.17 GB before the value cap, applied only to the
    finished tree, refused it as "aliases of aliases?". The count now runs while PyYAML
    composes: the error at the end of this document is never reached."""
    monkeypatch.setattr(yamlio, "MAX_NODES", 100)
    path = tmp_path / "p.yaml"
    path.write_text("[" + "0, " * 200 + "0]]")
    # node 101 is item 99 (the list is node 1), at column 2 + 3 x 99
    assert refusal(path) == (
        f"{path} (line 1, column 299): the document has more than 100 YAML nodes; "
        "at most 100 are read (DESIGN.md, Limits)"
    )


def test_keys_and_aliases_count_as_nodes_once(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlio, "MAX_NODES", 7)
    path = tmp_path / "p.yaml"
    path.write_text("a: &x [1, 2]\nb: *x\n")  # a, [ ], 1, 2, b, *x: 7 nodes with the mapping
    assert read_document(path).data == {"a": [1, 2], "b": [1, 2]}
    monkeypatch.setattr(yamlio, "MAX_NODES", 6)
    assert "more than 6 YAML nodes" in refusal(path)


def test_bytes_that_are_not_utf8_are_refused_with_their_line(tmp_path):
    """A Windows code page byte was refused as "'utf-8' codec can't decode byte 0xe9 in
    position 23", which no editor shows."""
    path = tmp_path / "p.yaml"
    path.write_bytes(b"program:\r\n  name: Caf\xe9 A\r\n")
    assert refusal(path) == (
        f"{path} (line 2, column 12): byte 0xe9 is not UTF-8 text: save the file as UTF-8"
    )


def test_windows_line_ends_read_as_before(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b'a: "x\r\n  y"\r\nb: |\r\n  z\r\n')
    assert read_document(path).data == {"a": "x y", "b": "z\n"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('name: "Hall \\udc80 A"', ": name (line 1, column 7): holds U+DC80"),
        ('ids: [a, "\\ud83d\\ude00"]', ": ids[1] (line 1, column 10): holds U+D83D"),
        ('"k\\udfff": 1', " (line 1, column 1): holds U+DFFF"),
    ],
    ids=["value", "a pair of halves is still not UTF-8", "key"],
)
def test_a_lone_surrogate_is_refused_where_it_stands(tmp_path, text, expected):
    r"""A "\udc80" escape passed `validate`, then `schedule` crashed writing UTF-8."""
    path = tmp_path / "p.yaml"
    path.write_text(text + "\n")
    assert refusal(path) == (
        f"{path}{expected}, a lone surrogate (from a \\u escape), not a character; "
        "text must be valid Unicode (DESIGN.md, Limits)"
    )


def test_characters_beyond_the_basic_plane_are_text(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text('a: "\\U0001F600 \u00e9"\nb: \U0001f600\n', encoding="utf-8")
    assert read_document(path).data == {"a": "\U0001f600 \u00e9", "b": "\U0001f600"}
