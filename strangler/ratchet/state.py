"""The repository as it is now: its route table, legacy inventory and contracts.

A `Snapshot` is everything the ratchet compares against the baseline, gathered once
per run from the sources named in the settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.config import ConfigError, Route, load_routes, position_of
from strangler.ratchet.baseline import RouteEntry
from strangler.ratchet.contracts import ContractsState, read_contracts
from strangler.ratchet.inventory import WS, Endpoint, load_inventory, without_implied_head
from strangler.ratchet.settings import RatchetConfigError, RatchetSettings

__all__ = ["Snapshot", "endpoints_of", "route_entry", "take_snapshot"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The current state.

    Parameters:
        routes: the routes of routes.yaml, in file order.
        legacy: the legacy endpoints, sorted.
        contracts: the counted layering contracts.
    """

    routes: tuple[Route, ...]
    legacy: tuple[Endpoint, ...]
    contracts: ContractsState


def take_snapshot(settings: RatchetSettings) -> Snapshot:
    try:
        loaded = load_routes(settings.routes)
    except ConfigError as exc:
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        raise RatchetConfigError(f"{exc.problems[0]}{more}") from None
    legacy = load_inventory(settings)
    contracts = read_contracts(
        settings.pyproject, root=settings.root, package=settings.modern_package
    )
    return Snapshot(routes=tuple(loaded.config.routes), legacy=tuple(legacy), contracts=contracts)


def endpoints_of(route: Route) -> list[Endpoint]:
    """The endpoints a route claims: `WS` for a WebSocket route, else one per method.

    HEAD beside GET is left out: Starlette serves it for every GET, so inventories
    drop it too.
    """
    methods = [WS] if route.websocket else without_implied_head(route.methods)
    return [Endpoint.of(method, route.path) for method in methods]


def route_entry(route: Route) -> RouteEntry:
    methods = (WS,) if route.websocket else tuple(sorted(route.methods))
    return RouteEntry(
        id=route.id,
        methods=methods,
        path=route.path,
        stage=route.stage,
        percent=position_of(route).percent,
    )
