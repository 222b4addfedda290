"""What the admin reads of deliveries (`GET /v1/deliveries`): newest first, by status,
paged by id, each with its event's type and its target's state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from .schema import deliveries, events, targets

__all__ = ["STATUSES", "delivery_page"]

STATUSES = ("pending", "delivered", "failed")


def delivery_page(
    engine: Engine, *, status: str | None, limit: int, starting_after: int | None
) -> dict[str, Any]:
    """One page of deliveries: `{"data": [...], "has_more": bool}`."""
    query = (
        select(
            deliveries,
            events.c.type.label("event_type"),
            targets.c.disabled_at.label("target_disabled_at"),
            targets.c.disabled_reason.label("target_disabled_reason"),
            targets.c.failing_since.label("target_failing_since"),
        )
        .join(events, events.c.id == deliveries.c.event_id)
        .outerjoin(targets, targets.c.url == deliveries.c.target)
        .order_by(deliveries.c.id.desc())
        .limit(limit + 1)
    )
    if status is not None:
        query = query.where(deliveries.c.status == status)
    if starting_after is not None:
        query = query.where(deliveries.c.id < starting_after)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    data = [_shown(dict(row._mapping)) for row in rows[:limit]]
    return {"object": "list", "data": data, "has_more": len(rows) > limit}


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "target": row["target"],
        "status": row["status"],
        "attempts": row["attempts"],
        "next_attempt_at": row["next_attempt_at"] if row["status"] == "pending" else None,
        "last_attempt_at": row["last_attempt_at"],
        "last_status_code": row["last_status_code"],
        "last_error": row["last_error"],
        "delivered_at": row["delivered_at"],
        "created_at": row["created_at"],
        "target_state": {
            "disabled_at": row["target_disabled_at"],
            "disabled_reason": row["target_disabled_reason"],
            "failing_since": row["target_failing_since"],
        },
    }
