"""The legacy social app: correct, slow and fragile, on purpose.

It is the reference for the wire contract (docs/wire-contract.md) and the "before" of
the case study. Every deliberate anti-pattern is marked `# LEGACY:` where it happens.

- `app` builds the FastAPI app (`legacy.app:app`): lifespan opens the pymongo client.
- `db` holds the plumbing every handler shares: the client, the JSON shapes of user,
  room and message, timestamps, passwords, sessions and the error envelope.
- `orderings` holds the contract's sort keys (id tie-breaks, nulls last).
- `routes_auth`, `routes_users`, `routes_rooms`, `routes_messages`, `routes_home` are
  the HTTP endpoints; `live` is the WebSocket and its in-process broadcast.

A request flows straight from a handler to pymongo and back: the handler reads
`await request.json()` without validation, authenticates with `db.current_user`,
queries the collections (synchronously, on the event loop), applies the business
rules inline, sorts in memory and answers a `JSONResponse`.

LEGACY: each handler repeats its own preamble (authenticate, look the room or message
up, answer 401/404) rather than sharing a dependency, the way the original grew one
copied handler at a time; and `ObjectId(<path id>)` on a malformed id raises, which
ends in a plain 500. Both are kept on purpose: they are what the rewrite replaces.
"""
