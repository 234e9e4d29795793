"""The strangler-fig proxy: end users talk to it; it sends each endpoint to legacy or modern.

How a request flows (`app.ProxyApp`, import string `proxy.app:app`, served under
uvicorn with `--http proxy.edge:EdgeProtocol`, which bounds heads and slow clients
before the app sees a request):

    ProxyApp.__call__ ── /_strangler/* ──> admin (Starlette: dashboard, status, metrics, reload)
         │ http                              └─ admin.status / admin.metrics read `stats`
         ├──> forwarding.Forwarder            match → choose target → stream → count
         │      routing.RouteTable.match      routes.yaml compiled, most specific first
         │      canary.choose_target          stage → legacy | modern; canary = sticky hash
         │      headers.request_headers       hop-by-hop out, X-Forwarded-*, X-Request-ID
         │      bodies.RequestBody / Tee      small bodies whole, large ones streamed;
         │                                    waits bounded; capture only for shadowing
         │      upstreams.Upstreams           one forwarding client per upstream
         │        breaker.Breaker             per upstream: stop asking one that stopped answering
         │        upstream_client             pooled keep-alive HTTP/1.1 connections (httptools)
         │      exchange.ShadowSink           shadowed exchanges handed off (proxy.shadow)
         └ websocket ──> websockets.WebSocketRelay   target fixed at the handshake

Around the data path: `runtime.Runtime` (one worker's state, built in the lifespan
from `settings.Settings`), `reload.Reloader` (file watch, SIGHUP, API, Redis fan-out;
validate all, then swap one reference; `applied` records each applied table so a
starting worker keeps the guard), `stats.Stats` (dict counters flushed to Redis so
every worker reports the same totals; `counters` makes each flush count once,
`redis_replies` reads hashes back), `health` (the HTTP probe behind `readyz`),
`statistics` (the Wilson bound and percentiles that shadow and guardrail both judge
by), `config` (the routes.yaml schema and loader), `responses` (the proxy's own JSON
errors). `shadow` compares modern's answers
with legacy's; `guardrail` judges canaries and sends failing ones back. (The ratchet,
which keeps the migration from sliding back in CI, is tooling: `strangler.ratchet`;
the proxy imports nothing from `strangler`.)
"""
