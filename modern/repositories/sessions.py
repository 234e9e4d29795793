"""The `sessions` collection: bearer tokens shared with legacy."""

from __future__ import annotations

from datetime import datetime

from pymongo.collection import Collection

from modern.repositories.documents import ref, timestamp
from modern.repositories.mongo import Document, oid, storage_errors


class MongoSessions:
    """Parameters: collection — `sessions` (unique `token`, TTL on `expires_at`)."""

    def __init__(self, collection: Collection[Document]) -> None:
        self._sessions = collection

    def create(self, *, token: str, user_id: str, now: datetime, expires_at: datetime) -> None:
        doc = {"token": token, "user_id": oid(user_id), "created_at": now, "expires_at": expires_at}
        with storage_errors("create session"):
            self._sessions.insert_one(doc)

    def user_id_for(self, token: str, now: datetime) -> str | None:
        # Filter on the unique token alone so the plan is the token index for sure;
        # expiry is checked here (the TTL monitor deletes expired sessions eventually).
        with storage_errors("find session"):
            doc = self._sessions.find_one({"token": token}, {"user_id": 1, "expires_at": 1})
        expires_at = timestamp(doc.get("expires_at")) if doc is not None else None
        if doc is None or expires_at is None or expires_at <= now:
            return None  # a session stored without a date (not one of ours) is no session
        return ref(doc.get("user_id"))

    def delete(self, token: str) -> None:
        with storage_errors("delete session"):
            self._sessions.delete_one({"token": token})
