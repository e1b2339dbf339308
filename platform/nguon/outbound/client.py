"""An httpx client that connects only to addresses the outbound policy allows.

The host of every connection — the first request and every redirect alike — is resolved
once, every address it resolves to is checked, and the socket is opened to a checked
address: a DNS answer that changes between the check and the connection (rebinding)
cannot reach anything else. TLS still verifies the certificate against the host name.
"""

from __future__ import annotations

import logging
import socket
import typing

import anyio
import httpcore
import httpx
from httpcore import AsyncNetworkBackend, AsyncNetworkStream

from nguon.outbound.policy import OutboundPolicy, OutboundRefused, literal_address, outbound_policy

logger = logging.getLogger("nguon.outbound")

SocketOption = typing.Any


class GuardedBackend(AsyncNetworkBackend):
    """httpcore's network backend with the policy checked between resolution and connect."""

    def __init__(self, policy: OutboundPolicy | None = None) -> None:
        self._policy = policy
        self._backend = httpcore.AnyIOBackend()

    @property
    def policy(self) -> OutboundPolicy:
        return self._policy or outbound_policy()

    async def _addresses(self, host: str, port: int) -> list[str]:
        literal = literal_address(host)
        if literal is not None:
            return [str(literal)]
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise httpcore.ConnectError(f"could not resolve {host}") from error
        return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        addresses = await self._addresses(host, port)
        for address in addresses:
            checked = literal_address(address)
            reason = "unparseable address" if checked is None else self.policy.refusal(checked)
            if reason is not None:
                # Refused whole: a name with one internal address among public ones is an attack.
                logger.warning("outbound request refused", extra={"host": host, "reason": reason})
                raise OutboundRefused("the receiver's address is not allowed")
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last_error = error
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        raise OutboundRefused("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, without proxies from the environment, over ``GuardedBackend``."""

    def __init__(self, policy: OutboundPolicy | None = None, *, verify: bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        limits = httpx.Limits()
        # httpx takes no network backend; its pool is replaced by one that has ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )


def guarded_client(
    policy: OutboundPolicy | None = None, *, timeout: float = 10.0
) -> httpx.AsyncClient:
    """The client for every request to a tenant-chosen URL. Redirects are not followed:
    a receiver answers where it was configured or not at all."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy),
        follow_redirects=False,
        trust_env=False,
        timeout=timeout,
    )
