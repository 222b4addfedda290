"""REST hooks, as Zapier subscribes them: an automation platform, holding the hooks key,
asks for one event type to be sent to a URL of its own (`POST /v1/hooks`), lists and
deletes them; a hook whose URL answers 410 is deleted, as the REST hooks convention says.
Each hook's deliveries go through the outbox like a configured target's, signed with the
bridge's secret."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select

from billflow_core import BadInput

from .schema import hooks

__all__ = ["MAX_HOOKS", "HookStore"]

MAX_HOOKS = 500  # a platform that subscribes without ever unsubscribing stops here


class HookStore:
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def subscribe(self, target_url: str, event: str) -> dict[str, Any]:
        """A new hook. Raises `BadInput` (`too_many_hooks`) past `MAX_HOOKS`."""
        row = {"id": "hook_" + secrets.token_hex(12), "target_url": target_url,
               "event": event, "created_at": self.clock()}  # fmt: skip
        with self.engine.begin() as connection:
            held = connection.execute(select(func.count()).select_from(hooks)).scalar_one()
            if held >= MAX_HOOKS:
                raise BadInput(f"This bridge holds {MAX_HOOKS} hooks already; delete some.",
                               code="too_many_hooks")  # fmt: skip
            connection.execute(insert(hooks).values(row))
        return _shown(row)

    def all(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(hooks).order_by(hooks.c.created_at)).all()
        return [_shown(dict(row._mapping)) for row in rows]

    def delete(self, hook_id: str) -> bool:
        with self.engine.begin() as connection:
            return bool(connection.execute(delete(hooks).where(hooks.c.id == hook_id)).rowcount)


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "object": "hook", "target_url": row["target_url"],
            "event": row["event"], "created_at": int(row["created_at"])}  # fmt: skip
