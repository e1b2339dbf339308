"""Every HTTP request the server makes to an address a tenant chose goes through here.

``guarded_client()`` is the only way webhooks and plugins reach the network;
``check_url()`` refuses a bad receiver when it is configured. See ``policy`` for what is
refused and ``NGUON_OUTBOUND_ALLOW`` for the operator's allow-list.
"""

from nguon.outbound.client import guarded_client
from nguon.outbound.policy import (
    OutboundPolicy,
    OutboundRefused,
    check_url,
    outbound_policy,
    use_outbound_policy,
)

__all__ = [
    "OutboundPolicy",
    "OutboundRefused",
    "check_url",
    "guarded_client",
    "outbound_policy",
    "use_outbound_policy",
]
