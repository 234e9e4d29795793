"""The proxy's edge: what a client may make it hold, refused before the data path.

    uvicorn ──> protocol.EdgeProtocol      the HTTP/1.1 protocol the proxy runs under
                  head limits              request target 414; field, count, head 431
                  header timeout           408, or a silent close if nothing came
                  trailers                 dropped, never request headers
                  per-client cap           429 past N open connections per address
    ProxyApp ──> forwarding.Forwarder
                  bodies.RequestBody       body timeout and minimum rate (408); small
                                           bodies read whole before an upstream
                                           connection is taken
                  headers.request_headers  two Host headers 400; Content-Length canonical

`limits.EdgeLimits` holds every bound, read from `STRANGLER_*` environment variables
(the README's "Limits and failure behaviour" lists them with their defaults).
`strangler serve proxy` and `strangler up` run the proxy with
`--http proxy.edge:EdgeProtocol`; under plain `uvicorn proxy.app:app` only the app's
own rules (body timeouts, Host, Content-Length) apply.
"""

from proxy.edge.limits import EdgeLimits, current_limits
from proxy.edge.protocol import EdgeProtocol

__all__ = ["EdgeLimits", "EdgeProtocol", "current_limits"]
