"""pymongo plumbing shared by the repositories: id parsing, batched lookups, error wrapping.

Turning stored documents into domain values is `modern.repositories.documents`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError as MongoDuplicateKeyError
from pymongo.errors import PyMongoError

from modern.errors import DuplicateKeyError, StorageError

Document = dict[str, Any]
USER_PROJECTION = {"password_hash": 0}
# SecantusDB's `$in` costs grow with the square of the list (measured on 500 users:
# 50 ids 28 ms, 500 ids 680 ms; 500 ids in batches of 50: 145 ms), so id lookups go in
# batches: a fixed handful of queries per request, never one per room or member.
IN_BATCH = 50


def oid(value: str) -> ObjectId | None:
    """The ObjectId a string names, or None: an invalid id matches no document."""
    if not isinstance(value, str) or len(value) != 24:
        return None
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def oids(values: list[str] | tuple[str, ...]) -> list[ObjectId]:
    return [parsed for parsed in map(oid, values) if parsed is not None]


def find_by_ids(
    collection: Collection[Document], ids: list[ObjectId], projection: dict[str, int] | None = None
) -> list[Document]:
    """Documents by `_id`, with `$in` queries of at most IN_BATCH ids each."""
    docs: list[Document] = []
    with storage_errors(f"find {collection.name} by id"):
        for start in range(0, len(ids), IN_BATCH):
            batch = ids[start : start + IN_BATCH]
            docs.extend(collection.find({"_id": {"$in": batch}}, projection))
    return docs


def find_one_by_id(
    collection: Collection[Document], document_id: str, projection: dict[str, int] | None = None
) -> Document | None:
    """The document a string id names, or None: an invalid id matches none (no query)."""
    target = oid(document_id)
    if target is None:
        return None
    with storage_errors(f"find {collection.name}"):
        return collection.find_one({"_id": target}, projection)


@contextmanager
def storage_errors(action: str) -> Iterator[None]:
    """Re-raise driver errors as ours, keeping the driver error as the cause."""
    try:
        yield
    except MongoDuplicateKeyError as exc:
        raise DuplicateKeyError(f"{action}: duplicate key") from exc
    except PyMongoError as exc:
        raise StorageError(f"{action}: {exc}") from exc
