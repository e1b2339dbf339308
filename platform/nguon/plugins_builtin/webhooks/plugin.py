"""POST signed JSON payloads to a province's endpoints when its lists change and when a
decision moves a candidate to another stage.

Switched on per tenant (``[plugins.webhooks]``). On Postgres each delivery is a job run
by ``nguon worker``; on SQLite a background loop of the server delivers them unless
``NGUON_WEBHOOK_WORKER=off`` (then run ``nguon webhooks deliver``).
"""

from __future__ import annotations

import os
from typing import Any

import msgspec

from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.hooks import hookimpl
from nguon.plugins import plugin_config
from nguon.plugins_builtin.webhooks.config import WebhooksConfig
from nguon.plugins_builtin.webhooks.outbox import PLUGIN_NAME, Worker, enqueue

NGUON_HOOK_API = "1.2"
NGUON_PER_TENANT = True
config_struct = WebhooksConfig

WORKER_ENV = "NGUON_WEBHOOK_WORKER"
POLL_ENV = "NGUON_WEBHOOK_POLL_SECONDS"


def _list_data(candidate_list: Any, actor: Any, comment: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "list": msgspec.to_builtins(candidate_list),
        "actor": msgspec.to_builtins(actor),
    }
    if comment is not None:
        data["comment"] = comment
    return data


async def _enqueue(event_type: str, candidate_list: Any, data: dict[str, Any]) -> None:
    await enqueue(plugin_config(PLUGIN_NAME), candidate_list.tenant_id, event_type, data)


@hookimpl
def list_submitted(candidate_list: Any, actor: Any) -> Any:
    return _enqueue("list.submitted", candidate_list, _list_data(candidate_list, actor))


@hookimpl
def list_returned(candidate_list: Any, actor: Any, comment: str) -> Any:
    return _enqueue("list.returned", candidate_list, _list_data(candidate_list, actor, comment))


@hookimpl
def list_accepted(candidate_list: Any, actor: Any) -> Any:
    return _enqueue("list.accepted", candidate_list, _list_data(candidate_list, actor))


@hookimpl
def candidate_stage_changed(change: Any, actor: Any) -> Any:
    data = {"change": msgspec.to_builtins(change), "actor": msgspec.to_builtins(actor)}
    return enqueue(plugin_config(PLUGIN_NAME), change.tenant_id, "candidate.stage_changed", data)


@hookimpl
def prepare_app_config(app_config: Any) -> None:
    if os.environ.get(WORKER_ENV, "on").lower() in {"off", "0", "false", "no"}:
        return
    worker = Worker(poll_seconds=float(os.environ.get(POLL_ENV, "15")))

    async def start_worker() -> None:
        # On Postgres every delivery is a queued job that `nguon worker` runs.
        if not is_postgres(current_engine()):
            worker.start()

    app_config.on_startup.append(start_worker)
    app_config.on_shutdown.insert(0, worker.stop)
