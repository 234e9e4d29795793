"""Data access: the only code that touches pymongo, bson and redis.

- `mongo.py`: id parsing, batched id lookups, driver error wrapping.
- `documents.py`: BSON document -> domain dict, tolerant of whatever legacy stored
  (NaN, wrong types, missing fields, huge strings), by the documented reading rules.
- `indexes.py`: every index, created idempotently at start-up, each with its query.
- `scans.py`: range-bounded keyset scans (the SecantusDB `sort().limit()` quirk).
- `users.py`, `sessions.py`, `rooms.py`, `messages.py`: one repository per collection,
  implementing the Protocols of `modern.services.ports`; cache-aside inside them.
- `cache.py`: Redis cache-aside that degrades to direct reads during an outage.
- `views.py`: rendered JSON views in Redis hashes, one hash per group so a write drops
  a group with one DEL (which views exist and which writes drop them: readmodel/views.py);
  a view whose TTL lapsed is served a bounded time more while it is rebuilt.
- `refresh.py`: the bounded pool of those background rebuilds, one per view across
  processes (a Redis lock each).
- `events.py`: the Redis pub/sub event bus behind live WebSocket events.
- `monitoring.py`: the slow-query CommandListener.
- `clients.py`: building the MongoClient and Redis clients from settings.
"""
