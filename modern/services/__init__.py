"""Domain logic: stateless services over repositories typed by Protocols (`ports.py`).

Services take and return `modern.domain` dicts with string ids, enforce the rules of
docs/wire-contract.md (who may post, edit, react; orderings; bounds) and raise
`modern.errors` domain errors. Reads of cached pages name their view on the read model
(`ports.RenderedViews`, implemented by `modern.readmodel`), and every write tells it
what changed. No web framework, driver, cache or rendering import lives here.
"""

from __future__ import annotations

from modern.services.auth import AuthService
from modern.services.changes import ChangeRules
from modern.services.home import HomeService
from modern.services.messages import MessagesService
from modern.services.pagination import Page
from modern.services.rooms import RoomsService
from modern.services.search import SearchService
from modern.services.users import UsersService

__all__ = [
    "AuthService",
    "ChangeRules",
    "HomeService",
    "MessagesService",
    "Page",
    "RoomsService",
    "SearchService",
    "UsersService",
]
