"""Sending what the outbox keeps: claim due deliveries, send each signed attempt, record how
it ended and when the next is due.

A delivery is claimed for one attempt by moving its `next_attempt_at` past a lease, in one
statement (`UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING`): on
PostgreSQL several workers on several machines each take rows no other holds, as Solid
Queue, good_job and River do; on SQLite the one statement runs under the file's write lock.
A worker killed mid-attempt leaves its row due again when the lease ends (a connect and a
read timeout), so every event is delivered at least once; receivers deduplicate on
`webhook-id`.

A 2xx answer delivers. A 410 switches a configured target off (its deliveries wait until it
is switched back on) and deletes a REST hook (its deliveries fail). Anything else (another
status, a redirect, which is never followed, a timeout, a refused address) is retried on the
schedule, honouring `Retry-After`; a target still failing after `disable_after` is switched
off and says why.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from billflow_core import __version__

from .addresses import delivery_session
from .config import BridgeConfig, Target, shown_url
from .retries import RetrySchedule, retry_after_seconds
from .schema import deliveries, events, hooks, targets
from .signing import signed_headers

__all__ = ["GONE", "Attempt", "Deliverer"]

log = logging.getLogger(__name__)

_MAX_ERROR = 500  # characters of an error or answer kept for the admin
# Why a target was switched off, as kept in `billflow_targets.disabled_reason` (the admin
# page says it in the reader's language: this one, or "failing since …").
GONE = "answered 410 Gone: the receiver asked for no more events"


@dataclass(frozen=True)
class Attempt:
    """One claimed delivery, ready to send."""

    delivery_id: int
    event_id: str
    target: Target
    body: bytes
    attempts: int  # made before this one
    claim: str = ""  # this worker's token on the row while it holds it


@dataclass(frozen=True)
class _Result:
    status_code: int | None
    error: str | None
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Deliverer:
    """Delivers the outbox's events to the configured targets, `batch` at a time. `clock`
    and `schedule` are injectable, so tests move time instead of waiting."""

    def __init__(
        self,
        engine: Engine,
        config: BridgeConfig,
        *,
        clock: Callable[[], float] = time.time,
        schedule: RetrySchedule | None = None,
        session: requests.Session | None = None,
        batch: int = 20,
    ) -> None:
        self.engine = engine
        self.config = config
        self.clock = clock
        self.schedule = schedule or RetrySchedule(config.retry_delays)
        self.session = session or delivery_session(config.allowed_networks)
        self.batch = batch
        # A claim outlasts its attempt: a connect and a read, with room for a slow answer.
        # (A receiver that drips its answer past it may get the event twice: at least once.)
        self.lease = 1.0 + 4 * config.timeout
        self.targets = {target.url: target for target in config.targets}

    # -- one round ------------------------------------------------------------------------
    def run_once(self) -> int:
        """Deliver what is due, up to `batch` attempts; the number made."""
        made = 0
        switched_off: set[str] = set()
        while made < self.batch:
            attempt = self.claim(skip=switched_off)
            if attempt is None:
                break
            try:
                result = self.send(attempt)
            except Exception as error:  # whatever went wrong, the attempt is counted
                result = _Result(None, _short(f"{type(error).__name__}: {error}"))
            self.record(attempt, result)
            made += 1
            if result.status_code == 410:
                switched_off.add(attempt.target.url)  # known at once, before it is read back
        return made

    def claim(self, *, skip: set[str] | None = None) -> Attempt | None:
        """Take the delivery due longest, of a configured, switched-on target or a REST
        hook, for one
        attempt: its lease covers a connect and a read timeout, so a worker killed while
        sending leaves it due again soon."""
        skip = skip or set()
        wanted = [url for url in self.targets if url not in skip]
        now = self.clock()
        switched_off = select(targets.c.url).where(targets.c.disabled_at.is_not(None))
        subscribed = select(hooks.c.target_url)
        due = (
            select(deliveries.c.id)
            .where(
                deliveries.c.status == "pending",
                deliveries.c.next_attempt_at <= now,
                or_(deliveries.c.target.in_(wanted), deliveries.c.target.in_(subscribed)),
                deliveries.c.target.not_in(switched_off),
                deliveries.c.target.not_in(list(skip)),
            )
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        claim = secrets.token_hex(16)
        take = (
            update(deliveries)
            .where(deliveries.c.id.in_(due.scalar_subquery()))
            .values(next_attempt_at=now + self.lease, claim=claim)
            .returning(deliveries.c.id, deliveries.c.event_id, deliveries.c.target,
                       deliveries.c.attempts)
        )  # fmt: skip
        with self.engine.begin() as connection:
            row = connection.execute(take).first()
            if row is None:
                return None
            body = connection.execute(
                select(events.c.body).where(events.c.id == row.event_id)
            ).scalar_one()
        target = self.targets.get(row.target) or Target(row.target)  # a REST hook's URL
        return Attempt(row.id, row.event_id, target, body.encode(), row.attempts, claim)

    def send(self, attempt: Attempt) -> _Result:
        """Send one attempt, signed now. A failure to reach the target is the result;
        `run_once` counts anything else that goes wrong as a failed attempt too."""
        target = attempt.target
        secrets = target.signing_secrets or self.config.signing_secrets
        headers = {
            **target.headers,
            "Content-Type": "application/json",
            "User-Agent": f"Billflow-Bridge/{__version__}",
            **signed_headers(secrets, attempt.event_id, int(self.clock()), attempt.body),
        }
        try:
            response = self.session.post(
                target.url,
                data=attempt.body,
                headers=headers,
                timeout=(self.config.timeout, self.config.timeout),
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as error:
            return _Result(None, _short(f"{type(error).__name__}: {_reason(error)}"))
        with response:
            if 200 <= response.status_code < 300:
                return _Result(response.status_code, None)  # the body is not the bridge's
            try:
                answer = response.raw.read(_MAX_ERROR, decode_content=True) or b""
            except Exception:  # a truncated, stalled or badly encoded answer
                answer = b""
            retry_after = retry_after_seconds(response.headers.get("Retry-After"), self.clock())
            text = answer.decode("utf-8", "replace").strip()
            if 300 <= response.status_code < 400:
                # The address only: a Location often repeats the target's secret path.
                where = shown_url(response.headers.get("Location") or "?")
                text = f"redirects to {where}, not followed"
            return _Result(response.status_code, _short(text or response.reason or ""),
                           retry_after)  # fmt: skip

    def record(self, attempt: Attempt, result: _Result) -> None:
        """Write how the attempt ended: delivered, retried at its next time, failed for good,
        or waiting on a target the answer switched off."""
        now = self.clock()
        made = attempt.attempts + 1
        url = attempt.target.url
        values: dict[str, object] = {
            "claim": None,
            "attempts": made,
            "last_attempt_at": now,
            "last_status_code": result.status_code,
            "last_error": _without_path(result.error, url),
        }
        if result.delivered:
            values.update(status="delivered", delivered_at=now)
            self._target_recovered(url)
        elif result.status_code == 410 and url not in self.targets:
            values.update(status="failed")  # a REST hook's URL said stop: the hook goes
            self._unsubscribe(url)
        elif result.status_code == 410:
            values.update(next_attempt_at=now)  # sent again if the target is switched on
            self._switch_off(url, now, GONE)
        else:
            delay = self.schedule.delay_after(made, result.retry_after)
            if delay is None:
                values.update(status="failed")
            else:
                values.update(next_attempt_at=now + delay)
            self._target_failed(url, now)
        with self.engine.begin() as connection:
            held = connection.execute(
                update(deliveries)
                .where(deliveries.c.id == attempt.delivery_id,
                       deliveries.c.claim == attempt.claim)
                .values(**values)
            ).rowcount  # fmt: skip
        if not held:
            log.warning("delivery %s: its claim lapsed during the attempt; another worker "
                        "has it", attempt.delivery_id)  # fmt: skip
            return
        log.info(
            "delivery %s of %s to %s: %s",
            attempt.delivery_id,
            attempt.event_id,
            _host(url),  # a hook's URL is often its only secret
            values.get("status", "retry") if not result.delivered else "delivered",
        )

    # -- what is known of each target -------------------------------------------------------
    def _target_row(self, url: str) -> dict[str, object] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(targets).where(targets.c.url == url)).first()
        return None if row is None else dict(row._mapping)

    def _write_target(self, url: str, **values: object) -> None:
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(targets).where(targets.c.url == url).values(**values)
            ).rowcount
            if changed:
                return
        try:
            with self.engine.begin() as connection:
                connection.execute(targets.insert().values(url=url, **values))
        except IntegrityError:  # another worker wrote it first
            with self.engine.begin() as connection:
                connection.execute(update(targets).where(targets.c.url == url).values(**values))

    def _target_recovered(self, url: str) -> None:
        row = self._target_row(url)
        if row is not None and row["failing_since"] is not None:
            self._write_target(url, failing_since=None)

    def _target_failed(self, url: str, now: float) -> None:
        row = self._target_row(url)
        since = row["failing_since"] if row is not None else None
        if since is None:
            self._write_target(url, failing_since=now)
        elif now - float(since) >= self.config.disable_after:  # type: ignore[arg-type]
            started = datetime.fromtimestamp(float(since), UTC).strftime("%Y-%m-%d %H:%M UTC")  # type: ignore[arg-type]
            days = self.config.disable_after / 86400
            self._switch_off(url, now, f"failing since {started} ({days:g} days)")

    def _unsubscribe(self, url: str) -> None:
        """A hook's URL answered 410: its hooks are deleted, its waiting deliveries fail."""
        with self.engine.begin() as connection:
            connection.execute(delete(hooks).where(hooks.c.target_url == url))
            connection.execute(
                update(deliveries)
                .where(deliveries.c.target == url, deliveries.c.status == "pending")
                .values(status="failed", last_error="the hook was deleted: its URL answered 410")
            )
        log.info("REST hooks to %s deleted: it answered 410", _host(url))

    def _switch_off(self, url: str, now: float, reason: str) -> None:
        self._write_target(url, disabled_at=now, disabled_reason=reason)
        log.warning("target %s switched off: %s", _host(url), reason)

    # -- what the admin may do ----------------------------------------------------------------
    def switch_on(self, url: str) -> None:
        """Deliver to a switched-off target again, from its oldest waiting delivery."""
        self._write_target(url, disabled_at=None, disabled_reason=None, failing_since=None)

    def retry_now(self, delivery_id: int) -> bool:
        """Make a waiting or failed delivery due now; False for one delivered or unknown."""
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == delivery_id,
                    deliveries.c.status.in_(("pending", "failed")),
                )
                .values(status="pending", next_attempt_at=self.clock())
            ).rowcount
        return bool(changed)

    def purge(self) -> int:
        """Forget events (and their deliveries) older than `keep_deliveries`: they hold
        customers' emails. Answers how many events went."""
        cutoff = self.clock() - self.config.keep_deliveries
        with self.engine.begin() as connection:
            old = select(events.c.id).where(events.c.created_at < cutoff)
            connection.execute(delete(deliveries).where(deliveries.c.event_id.in_(old)))
            gone = connection.execute(delete(events).where(events.c.created_at < cutoff)).rowcount
        return int(gone)


def _reason(error: requests.RequestException) -> str:
    """The innermost cause of a connection error, which says what happened."""
    cause: BaseException | None = error
    while cause is not None and (cause.__cause__ or cause.__context__) is not None:
        cause = cause.__cause__ or cause.__context__
    return str(cause or error)


def _without_path(error: str | None, url: str) -> str | None:
    """`error` with the target's path (where a hook keeps its secret) left out, should the
    receiver's answer or an exception repeat it."""
    path = urlsplit(url).path.rstrip("/")
    if error is None or len(path) < 2:
        return error
    return error.replace(url, shown_url(url)).replace(path, "/…")


def _host(url: str) -> str:
    return urlsplit(url).hostname or "?"


def _short(text: str) -> str:
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"
