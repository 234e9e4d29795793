"""Reading stored documents: whatever legacy wrote, as modern's domain shapes.

Modern shares legacy's database, and legacy stores any JSON value it is sent: NaN and
Infinity, numbers, lists and objects where strings belong, strings of any length.
Every stored user, room and message becomes a domain value here and only here, by the
rules of docs/wire-contract.md ("Reading what legacy stored"), so that a reply never
fails to render (modern's JSON is strict: a NaN would make every page that shows the
value a 500, for as long as the value is stored). For what legacy writes through its
own handlers with well-typed input, each rule is the identity.

The rules, per kind of field:
- text: a string as stored, cut at MAX_TEXT_CHARS; "no value" (missing, null, a
  non-finite number) is the field's default (null, or "" where the field is required);
  any other value is its compact JSON text (`42`, `true`, `{"a":null}`), non-finite
  numbers inside it written as null.
- url (`avatar_url`): a text that is an http(s) URL, else null: modern never serves
  a `javascript:` link, whoever stored it.
- timestamp: a BSON date, else null.
- id: an ObjectId (or its hex string), else ZERO_ID, which names nothing; in a list
  of ids (members, reaction voters) anything else is left out.
- flag (`deleted`): true only for a stored boolean true.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

from bson import ObjectId

from modern.domain import Message, Room, RoomRef, User
from modern.wire import format_timestamp

# 16 times modern's own limit on a message (4,000): generous for anything a person
# wrote, and it bounds a page of 50 items however big legacy let the values grow.
MAX_TEXT_CHARS = 65_536
ZERO_ID = "0" * 24
_URL_SCHEMES = ("http://", "https://")


def _plain(value: Any) -> Any:
    """`value` as plain JSON: non-finite numbers None, BSON types as their wire text."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float):  # bool is an int
        return value
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return format_timestamp(value)
    return str(value)  # ObjectId, Decimal128, binary…: legacy never writes them


def text(value: Any, default: str | None = None) -> str | None:
    """A text field's value by the rules above; `default` is what "no value" reads as."""
    if isinstance(value, str):
        return value[:MAX_TEXT_CHARS]
    plain = _plain(value)
    if plain is None:
        return default
    if isinstance(plain, str):
        return plain[:MAX_TEXT_CHARS]
    rendered = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    return rendered[:MAX_TEXT_CHARS]


def required_text(value: Any) -> str:
    """A text the wire never shows as null (username, room name, message text)."""
    return text(value, "") or ""


def url(value: Any) -> str | None:
    found = value if isinstance(value, str) else None
    if found is None or not found[:8].lower().startswith(_URL_SCHEMES):
        return None
    return text(found)


def timestamp(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _id_or_none(value: Any) -> str | None:
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, str) and len(value) == 24 and ObjectId.is_valid(value):
        return value.lower()
    return None


def ref(value: Any) -> str:
    """One id field: the id, or ZERO_ID where the stored value names no document."""
    return _id_or_none(value) or ZERO_ID


def refs(value: Any) -> list[str]:
    """A list of ids in stored order (a single value counts as a list of one);
    values that are not ids are left out."""
    items = value if isinstance(value, list) else [value]
    return [found for found in map(_id_or_none, items) if found is not None]


def flag(value: Any) -> bool:
    return value is True


def reactions(value: Any) -> dict[str, list[str]]:
    """emoji → voter ids; an emoji left without a valid id is left out, as when its
    last vote is taken back."""
    if not isinstance(value, Mapping):
        return {}
    voters = {str(emoji): refs(ids) for emoji, ids in value.items() if isinstance(ids, list)}
    return {emoji: ids for emoji, ids in voters.items() if ids}


Rule = Callable[[Any], Any]
Fields = tuple[tuple[str, str, Rule], ...]


def _fields(**rules: Rule) -> Fields:
    """A kind's fields in wire order, each read by its rule from the stored key of the
    same name (`id` from `_id`): the contract's table, written once as data."""
    return tuple((name, "_id" if name == "id" else name, rule) for name, rule in rules.items())


USER_FIELDS = _fields(
    id=ref, username=required_text, display_name=text, bio=text, avatar_url=url,
    created_at=timestamp, last_seen_at=timestamp,
)  # fmt: skip
ROOM_FIELDS = _fields(
    id=ref, name=required_text, topic=text, owner_id=ref, member_ids=refs,
    created_at=timestamp, last_message_at=timestamp,
)  # fmt: skip
ROOM_REF_FIELDS = _fields(id=ref, last_message_at=timestamp)


def _read(doc: Mapping[str, Any], fields: Fields) -> dict[str, Any]:
    """One stored document as a kind's fields. A table read in a loop costs 0.4-0.5 µs
    a document more than a dict literal (a user 1.4 against 1.0 µs, a room of 20
    members 4.1 against 3.7; best of 9 runs of 50,000): only a read that misses every
    cache converts documents in number, and the case study's largest (the 2 MB room
    list, about 10,000 member profiles) spends some 5 ms more of its 7 s uncached."""
    get = doc.get
    return {name: rule(get(key)) for name, key, rule in fields}


def to_user(doc: Mapping[str, Any]) -> User:
    return cast(User, _read(doc, USER_FIELDS))


def to_room(doc: Mapping[str, Any]) -> Room:
    return cast(Room, _read(doc, ROOM_FIELDS))


def to_room_ref(doc: Mapping[str, Any]) -> RoomRef:
    return cast(RoomRef, _read(doc, ROOM_REF_FIELDS))


# A message is not a table: its text depends on `deleted` (a deleted message reads "").
def to_message(doc: Mapping[str, Any]) -> Message:
    deleted = flag(doc.get("deleted"))
    return {
        "id": ref(doc.get("_id")),
        "room_id": ref(doc.get("room_id")),
        "author_id": ref(doc.get("author_id")),
        "text": "" if deleted else required_text(doc.get("text")),
        "created_at": timestamp(doc.get("created_at")),
        "edited_at": timestamp(doc.get("edited_at")),
        "deleted": deleted,
        "reactions": reactions(doc.get("reactions")),
    }
