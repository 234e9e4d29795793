"""The modern social service: the legacy API rewritten in four layers.

How a request flows (each arrow is the only direction imports may go; import-linter
enforces it, see pyproject.toml):

    modern.api            FastAPI routers: parse and validate (modern.schemas), call one
        |                 service, shape the reply (pagination Link header, ?fields=).
        v                 One handler maps domain errors to the JSON error envelope.
    modern.services       Domain rules with string ids: auth, users, rooms, messages,
        |                 home, search. Raise domain errors (modern.errors); talk to
        v                 storage through Protocols (services/ports.py), never a driver.
    modern.repositories   The only code touching pymongo, bson and redis: queries,
                          projections, indexes, keyset scans, Redis cache-aside, the
                          Redis pub/sub event bus and the slow-query listener.

Beside the layers: `modern.schemas` (pydantic request/response models), `modern.domain`
(the shapes passed between layers), `modern.errors` (domain and storage errors),
`modern.wire` (timestamp and JSON rendering), `modern.settings` (frozen settings from
the environment) and `modern.app`, the composition root (`modern.app:app`) whose
lifespan builds the clients, repositories and services. Nothing connects at import.
"""
