"""`billflow bridge serve | worker | migrate | secret`, found by the `billflow` command
through its `billflow.commands` entry points (the core's CLI never imports the bridge)."""

from __future__ import annotations

import argparse
import base64
import importlib
import secrets
import signal
import sys
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import make_url

__all__ = ["add_command"]


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `billflow bridge` and its subcommands."""
    bridge = commands.add_parser(
        "bridge",
        help="run the webhook bridge for no-code sites and automations",
        description="The portal for sites without server code, and signed portal events "
        "for their automations. Settings come from the environment or --config FILE.",
    )
    actions = bridge.add_subparsers(dest="bridge_command", required=True, metavar="COMMAND")

    serve = actions.add_parser("serve", help="serve the portal, /v1/hash and deliveries")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (8080)")
    serve.add_argument("--workers", type=int, default=2, help="web processes (2)")
    _config_argument(serve)
    serve.set_defaults(run=_serve)

    worker = actions.add_parser("worker", help="deliver events only (another process)")
    _config_argument(worker)
    worker.set_defaults(run=_worker)

    migrate = actions.add_parser("migrate", help="make or update the bridge's tables")
    _config_argument(migrate)
    migrate.set_defaults(run=_migrate)

    secret = actions.add_parser("secret", help="print new random keys and a signing secret")
    secret.set_defaults(run=_secret)

    demo = actions.add_parser(
        "demo", help="try it offline: the sandbox, a sample no-code site, its deliveries"
    )
    demo.add_argument(
        "--port", type=int, default=8000, help="the site's port (8000); the bridge takes the next"
    )
    demo.set_defaults(run=_demo)


def _config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="FILE", default=None, help="a TOML file of settings (lower case)"
    )


def _loaded(args: argparse.Namespace) -> Any:
    """The configuration, or None after saying what is wrong."""
    from .config import BridgeConfigError, load_config

    try:
        return load_config(args.config)
    except BridgeConfigError as error:
        print(f"billflow bridge: {error}", file=sys.stderr)
        return None


def _shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _current(config: Any) -> Any:
    """The database engine when its tables are current, else None after saying so."""
    from .database import connect, pending_migrations

    engine = connect(config.database_url)
    try:
        pending = pending_migrations(engine)
    except Exception as error:
        print(f"billflow bridge: cannot open {_shown_url(config.database_url)}: {error}",
              file=sys.stderr)  # fmt: skip
        return None
    if pending:
        print(
            f"billflow bridge: the database {_shown_url(config.database_url)} lacks "
            f"{len(pending)} migration(s): run `billflow bridge migrate` first",
            file=sys.stderr,
        )
        return None
    return engine


def _migrate(args: argparse.Namespace) -> int:
    from .database import connect, migrate

    config = _loaded(args)
    if config is None:
        return 2
    migrate(connect(config.database_url))
    print(f"billflow bridge: {_shown_url(config.database_url)} is current")
    return 0


def _serve(args: argparse.Namespace) -> int:
    config = _loaded(args)
    if config is None or _current(config) is None:
        return 2
    from gunicorn.app.base import BaseApplication

    from .app import create_app

    class Server(BaseApplication):  # type: ignore[misc]
        """gunicorn with the bridge's options; each web process makes its app after the
        fork, with its own delivery thread."""

        def load_config(self) -> None:
            options = {
                "bind": f"{args.host}:{args.port}",
                "workers": max(args.workers, 1),
                "worker_class": "gthread",
                "threads": 8,
                "timeout": 60,
                "graceful_timeout": 10,
                "accesslog": "-",
            }
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            return create_app(config, deliver=True)

    print(f"billflow bridge: serving on http://{args.host}:{args.port}/", flush=True)
    Server().run()
    return 0


def _worker(args: argparse.Namespace) -> int:
    config = _loaded(args)
    engine = None if config is None else _current(config)
    if engine is None:
        return 2
    from .delivery import Deliverer
    from .worker import DeliveryWorker

    worker = DeliveryWorker(Deliverer(engine, config))
    _on_stop(worker.stop)
    print(f"billflow bridge: delivering to {len(config.targets)} target(s)", flush=True)
    worker.run()
    return 0


def _on_stop(stop: Callable[[], None]) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop())


def _secret(args: argparse.Namespace) -> int:
    signing = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    for name in ("API", "HOOKS", "ADMIN"):
        print(f"BILLFLOW_BRIDGE_{name}_KEY={secrets.token_urlsafe(32)}")
    print(f"BILLFLOW_BRIDGE_SIGNING_SECRET={signing}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    # The demo package holds everything that runs on the sandbox; the bridge itself never
    # imports it (nor the sandbox), so it is found by name here, as the core's CLI finds
    # its commands.
    try:
        demo = importlib.import_module("billflow_demo.bridge")
        until_stopped = importlib.import_module("billflow_sandbox.command").serve_until_stopped
    except ImportError as error:
        print(f"billflow bridge demo: cannot start ({error}): reinstall Billflow",
              file=sys.stderr)  # fmt: skip
        return 1
    try:
        running = demo.start_bridge_demo("127.0.0.1", args.port)
    except OSError as error:
        print(f"billflow bridge demo: cannot listen on port {args.port}: {error.strerror}",
              file=sys.stderr)  # fmt: skip
        return 1
    print(f"Billflow bridge demo: open {running.site_url}/ in a browser", flush=True)
    print("  the site          a no-code page with a stand-in login (log in as Ada) and the")
    print("                    bridge's snippet; change a plan there")
    print(f"  deliveries        {running.site_url}/deliveries (signed events, as they arrive)")
    print(f"  the bridge        {running.bridge_url} (its /readyz, /billflow/api/openapi.json)")
    print(f"  admin page        {running.bridge_url}/admin/ (admin key: {running.admin_key})")
    print(f"  Stripe            the built-in sandbox at {running.sandbox.url}")
    print()
    until_stopped(running.stop)
    return 0
