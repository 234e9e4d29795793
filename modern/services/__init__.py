"""Domain logic: stateless services over repositories typed by Protocols (`ports.py`).

Services take and return `modern.domain` dicts with string ids, enforce the rules of
docs/wire-contract.md (who may post, edit, react; orderings; bounds) and raise
`modern.errors` domain errors. `views.py` decides which bounded pages are cached
rendered and which writes drop them. No web framework, driver or cache import lives here.
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
from modern.services.views import Views

__all__ = [
    "AuthService",
    "ChangeRules",
    "HomeService",
    "MessagesService",
    "Page",
    "RoomsService",
    "SearchService",
    "UsersService",
    "Views",
]
