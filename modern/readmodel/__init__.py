"""The read model: modern's pages as they are cached, rendered, and dropped by writes.

Why a module of its own, rather than the API layer or the services:
- not the services: they hold the domain's rules and return domain values, and they
  must not depend on how a reply is written (`modern.wire`) or on how long a rendering
  lives. They name the view they read on a port (`modern.services.ports:RenderedViews`)
  and hand over a loader of domain data; they tell it about every write.
- not the API: a controller shapes one reply, while a rendered view outlives the
  request that built it, is shared by all workers through Redis, is rebuilt in the
  background when it lapses, and is dropped by writes that no controller sees (the
  change feed's). That state is a read side of its own.

So the read model sits beside the services, wired to them in the composition root
(`modern.app`): it renders with `modern.wire` and stores through the repositories'
view store (`modern.repositories.views:RedisViews`, behind the `ViewCache` protocol).
- `views.py`: which views exist, how they are keyed, rendered and rebuilt, and which
  writes drop them (`Views`).
- `caching.py`: every caching decision behind each page, in one table: the views and
  the repositories' own caches (profiles, counts, latest messages, rankings), their
  keys, lifetimes and the writes that drop them.
"""

from __future__ import annotations

from modern.readmodel.views import Views

__all__ = ["Views"]
