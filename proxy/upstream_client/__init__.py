"""The forwarding hot path's HTTP/1.1 client: pooled keep-alive connections, httptools.

Why not `aiohttp.ClientSession` here, as the proxy first used (docs/decisions/0001):
measured on these 2 cores (a bare forwarder under uvicorn, the trivial upstream, 64
connections), the session cost 323 µs of proxy CPU per forwarded request and this client
175 µs, for the same bytes on the wire. Everything the session adds (cookie jar,
redirects, decompression, auto headers, tracing) is what a transparent proxy switches
off anyway. WebSockets and shadow calls still go through aiohttp, off the hot path.

What it does: one request at a time per connection (no pipelining); the request
head is written in one piece, a body as bytes (Content-Length) or as a stream
(chunked); the response head is parsed by httptools and the body is handed over as
it arrives, with reading paused while the consumer lags (so a 20 MB download never
sits in memory). Interim 1xx answers are skipped. A connection goes back to the pool
only after a complete exchange the upstream agreed to keep alive, and an idle one is
not reused after `keepalive` seconds (uvicorn closes its end after 5 s).

Failure rules, which the forwarder relies on:
- `ConnectFailed`: nothing reached the upstream; `Disconnected`: the connection
  closed before a response head (a stale pooled connection, a crash). Both are safe
  to retry for an idempotent request with a replayable body.
- `BadResponse`: the upstream answered something that is not HTTP/1.1.
- `TimeoutError`: the whole exchange, body included, went over its time limit.
- A failure after the head is raised from `UpstreamResponse.read()`.

Responses never mix: one read yields at most one response, and a connection that
receives a byte when no request is outstanding (after a whole response, or while
idle in the pool: checked on release and again before reuse) is closed, its bytes
read by nobody. Conflicting or invalid framing (two Content-Lengths, Content-Length
with Transfer-Encoding, a length that is not digits) is refused by the parser:
`BadResponse`, and the connection is closed.
"""

from proxy.upstream_client._client import UpstreamClient
from proxy.upstream_client._connection import READ_HIGH_WATER, UpstreamResponse
from proxy.upstream_client._errors import BadResponse, ConnectFailed, Disconnected, UpstreamError

__all__ = [
    "READ_HIGH_WATER",
    "BadResponse",
    "ConnectFailed",
    "Disconnected",
    "UpstreamClient",
    "UpstreamError",
    "UpstreamResponse",
]
