"""Documents and meta values' statements, written once for every engine: configuration kept
in the store (API subscriptions, tokens, partners, portal links) and small named values."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, select

from hub.store.statements import SQLITE, Compiled, compiled, insert_for
from hub.store.tables import documents, meta


@dataclass(frozen=True)
class Statements:
    put: Compiled
    delete: Compiled
    of_kind: Compiled
    get_meta: Compiled
    set_meta: Compiled


@lru_cache(maxsize=4)
def for_dialect(dialect: Any = SQLITE) -> Statements:
    insert = insert_for(dialect)
    doc = insert(documents).values(kind=bindparam("kind"), id=bindparam("id"),
                                   doc=bindparam("doc"))  # fmt: skip
    value = insert(meta).values(key=bindparam("key"), value=bindparam("value"))
    by_kind = documents.c.kind == bindparam("kind")
    return Statements(
        put=compiled(doc.on_conflict_do_update(
            index_elements=[documents.c.kind, documents.c.id],
            set_={"doc": doc.excluded.doc}), dialect),
        delete=compiled(delete(documents).where(by_kind, documents.c.id == bindparam("id")),
                        dialect),
        of_kind=compiled(select(documents.c.id, documents.c.doc).where(by_kind)
                         .order_by(documents.c.id), dialect),
        get_meta=compiled(select(meta.c.value).where(meta.c.key == bindparam("key")), dialect),
        set_meta=compiled(value.on_conflict_do_update(
            index_elements=[meta.c.key], set_={"value": value.excluded.value}), dialect),
    )  # fmt: skip
