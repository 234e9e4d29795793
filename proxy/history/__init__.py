"""The migration's history in Redis: snapshots of progress, and events with reasons.

- `store.HistoryStore` keeps two bounded sorted sets per key prefix: `history:points`
  (a snapshot of every route's stage, effective stage and canary percent, and the
  share of routes and of traffic migrated) and `history:events` (stage changes,
  overrides, guardrail trips, autopilot steps, notes — each with a reason).
- `store.record_event` is the one call other subsystems make to add an event.
- `figures.RouteFigures` keeps each route's requests, error rate and latency per
  target for every periodic interval (the route page's small charts).
- `recorder.HistoryRecorder` runs in each worker: a snapshot at every config change
  (one worker records it, whichever saw it first) and one per interval.

Kept in Redis, not in the worker, so a restart or another instance sees the same past.
"""

from proxy.history.figures import RouteFigures
from proxy.history.recorder import HistoryRecorder
from proxy.history.store import EVENT_KINDS, HistoryStore, record_event

__all__ = ["EVENT_KINDS", "HistoryRecorder", "HistoryStore", "RouteFigures", "record_event"]
