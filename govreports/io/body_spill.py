"""The normalized bodies duplicate linking compares, held one group of keys at a time.

Why: deciding which version supersedes which needs the bodies of the documents `compared` names,
and a run of many reports by the same agencies names most of them: holding them all grew the flow
process with the run (≈170 MB of Python strings at 20,000 pages of the benchmark corpus, ≈420 MB
at 50,000). Keys are independent (duplicates.supersessions), so the keys are cut into groups of
about BODIES_PER_GROUP compared documents; one streaming pass over the bodies normalizes each
compared one once and appends it to its group's Arrow IPC file in a temporary directory; then
each group's file is read back, linked and dropped. A run whose compared documents fit one group
keeps them in memory and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from govreports.documents.duplicates import Candidate, normalized
from govreports.io import spill_dirs

#: compared bodies held at once (≈8 KB each as normalized text in the benchmark corpus; real
#: reports run to 100 KB, so a group stays under ≈100 MB)
BODIES_PER_GROUP = 1000
_SCHEMA = pa.schema([("doc_id", pa.string()), ("text", pa.large_string())])
_ROWS_PER_WRITE = 256


def groups(versions: dict[tuple, list[Candidate]], in_force: dict[tuple, Candidate], wanted: set[str]
           ) -> list[tuple[list[tuple], set[str]]]:
    """(keys, compared doc_ids of those keys) per group of about BODIES_PER_GROUP documents, keys in
    `versions` order; keys without a compared document are left out (linking them reads no body)."""
    out: list[tuple[list[tuple], set[str]]] = []
    keys: list[tuple] = []
    docs: set[str] = set()
    for key, new in versions.items():
        mine = {c.doc_id for c in new if c.doc_id in wanted}
        if key in in_force and in_force[key].doc_id in wanted:
            mine.add(in_force[key].doc_id)
        if not mine:
            continue
        if docs and len(docs) + len(mine) > BODIES_PER_GROUP:
            out.append((keys, docs))
            keys, docs = [], set()
        keys.append(key)
        docs |= mine
    if keys:
        out.append((keys, docs))
    return out


class BodySpill:
    """The compared bodies of every group, written once and read back one group at a time."""

    def __init__(self, group_docs: list[set[str]]) -> None:
        self.group_of = {doc_id: n for n, docs in enumerate(group_docs) for doc_id in docs}
        self.count = len(group_docs)
        self.directory = spill_dirs.make("bodies") if self.count > 1 else None
        self.held: dict[str, str] = {}   # one group: in memory

    def write(self, batches: Iterable[pa.RecordBatch]) -> None:
        """Normalize and store the compared bodies among `batches` (doc_id, body); call once.
        With nothing to compare, no body is read at all."""
        if not self.group_of:
            return
        if self.directory is None:
            for doc_id, body in _pairs(batches, self.group_of):
                self.held[doc_id] = normalized(body or "")
            return
        writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
        pending: dict[int, list[tuple[str, str]]] = {}
        try:
            for doc_id, body in _pairs(batches, self.group_of):
                group = self.group_of[doc_id]
                rows = pending.setdefault(group, [])
                rows.append((doc_id, normalized(body or "")))
                if len(rows) >= _ROWS_PER_WRITE:
                    self._flush(writers, group, rows)
            for group, rows in pending.items():
                self._flush(writers, group, rows)
        finally:
            for writer in writers.values():
                writer.close()

    def _flush(self, writers: dict[int, pa.ipc.RecordBatchFileWriter], group: int, rows: list[tuple[str, str]]) -> None:
        if not rows:
            return
        assert self.directory is not None
        if group not in writers:
            writers[group] = pa.ipc.new_file(str(self.directory / f"{group}.arrow"), _SCHEMA)
        ids, texts = zip(*rows, strict=True)
        writers[group].write_batch(pa.record_batch([pa.array(ids, pa.string()), pa.array(texts, pa.large_string())],
                                                   schema=_SCHEMA))
        rows.clear()

    def texts(self, group: int) -> dict[str, str]:
        """doc_id -> normalized body, for one group."""
        if self.directory is None:
            return self.held
        path = self.directory / f"{group}.arrow"
        if not path.exists():
            return {}
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
            return dict(zip(table.column("doc_id").to_pylist(), table.column("text").to_pylist(), strict=True))

    def close(self) -> None:
        if self.directory is not None:
            spill_dirs.remove(self.directory)


def _pairs(batches: Iterable[pa.RecordBatch], wanted: dict[str, int]) -> Iterator[tuple[str, str | None]]:
    """(doc_id, body) of the wanted rows; the others' bodies never become Python strings."""
    ids = pa.array(sorted(wanted), pa.string())
    for batch in batches:
        kept = batch.filter(pc.is_in(batch.column("doc_id"), value_set=ids))
        yield from zip(kept.column("doc_id").to_pylist(), kept.column("body").to_pylist(), strict=True)
