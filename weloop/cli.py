"""The ``weloop`` command: how operators run and script the platform (docs/cli.md).

weloop serve [--host H] [--port P] [--workers N] [--seed-demo] [--no-worker]
weloop worker
weloop migrate
weloop demo [--quiet]
weloop merchant create --name NAME --slug SLUG [--json]
weloop merchant set-pay --slug S --mchid M --apiv3-key K --merchant-private-key-file F --merchant-serial N
                        --platform-public-key-file F --platform-public-key-id PUB_KEY_ID_…
weloop merchant list [--json]
weloop operator create --username U [--password P]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weloop.settings")
    import django

    django.setup()


def _fail(message: str, code: int = 2) -> int:
    print(f"weloop: {message}", file=sys.stderr)
    return code


# --- serve ----------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    """Migrate, seed the demo on first start, then run granian and the queue worker until stopped."""
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if args.seed_demo:
        _seed_demo_if_empty()
    web = [
        sys.executable, "-m", "granian", "--interface", "wsgi", "--host", args.host, "--port", str(args.port),
        "--workers", str(args.workers), "--blocking-threads", str(args.threads), "--no-ws",
        "--respawn-failed-workers", "--log-level", "warning", "weloop.wsgi:application",
    ]  # fmt: skip
    children = {"web": subprocess.Popen(web)}
    if not args.no_worker:
        children["worker"] = subprocess.Popen([sys.executable, "-m", "weloop.cli", "worker"])
    _print_banner(args.host, args.port, settings)
    return _supervise(children)


def _seed_demo_if_empty() -> None:
    from weloop.demo.seed import demo_seed
    from weloop.tenants.models import Merchant

    if not Merchant.objects.exists():
        print("First start: seeding the demo merchant…", flush=True)
        demo_seed(progress=_progress_bar)


def _supervise(children: dict[str, subprocess.Popen]) -> int:
    """Wait until a signal or a child's death, then stop every child; exit 0 on a clean stop."""
    stopping = {"signal": 0}

    def on_signal(signum: int, _frame: Any) -> None:
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    exit_code = 0
    while not stopping["signal"]:
        dead = [name for name, proc in children.items() if proc.poll() is not None]
        if dead:
            print(f"weloop: {', '.join(dead)} stopped unexpectedly; shutting down", file=sys.stderr)
            exit_code = 1
            break
        time.sleep(0.2)
    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in children.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    print("weloop: stopped", flush=True)
    return exit_code


def _print_banner(host: str, port: int, settings: Any) -> None:
    from weloop.demo.seed import DEMO_API_KEY, DEMO_PASSWORD, DEMO_SLUG, demo_logins
    from weloop.tenants.models import Merchant

    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    lines = [
        "",
        f"WeLoop is running ({'SQLite' if settings.DATABASE_IS_SQLITE else 'PostgreSQL'}, "
        f"queue: {'Redis' if settings.REDIS_URL else 'SQLite'}). Press Ctrl-C to stop.",
        f"  Merchant console   {base}/dashboard/",
        f"  Clerk (phone)      {base}/clerk/",
        f"  Platform operators {base}/platform/",
        f"  API docs           {base}/api/v1/docs",
        *([f"  WeChat simulator   {base}/simulator/"] if settings.WECHAT_MODE == "simulator" else []),
        f"  Health             {base}/healthz",
    ]
    if Merchant.objects.filter(slug=DEMO_SLUG).exists():
        lines += [
            f"  Demo H5 store      {base}/m/{DEMO_SLUG}/",
            "",
            f"Demo logins (password for all: {DEMO_PASSWORD}):",
            *[f"  {username:<16} {label:<28} {base}{where}" for where, username, label in demo_logins()],
            "",
            f"Demo API key: {DEMO_API_KEY}",
            f"  curl -H 'Authorization: Bearer {DEMO_API_KEY}' {base}/api/v1/stores",
        ]
    print("\n".join(lines), flush=True)


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command

    call_command("run_huey")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    return 0


# --- demo -----------------------------------------------------------------------------------


def _progress_bar(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    end = "\n" if done >= total else ""
    print(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<20}", end=end, flush=True, file=sys.stderr
    )


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command

    from weloop.demo.seed import DEMO_PASSWORD, DEMO_SLUG, demo_logins, demo_seed

    call_command("migrate", interactive=False, verbosity=0)
    demo_seed(progress=None if args.quiet else _progress_bar)
    print(f"Demo merchant '{DEMO_SLUG}' seeded. Logins (password {DEMO_PASSWORD}):")
    for where, username, label in demo_logins():
        print(f"  {username:<16} {label:<28} {where}")
    return 0


# --- merchants and operators ----------------------------------------------------------------


def cmd_merchant_create(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings

    from weloop.core.errors import WeloopError
    from weloop.tenants.enums import MerchantStatus
    from weloop.tenants.services import merchant_create

    try:
        created = merchant_create(
            name=args.name, slug=args.slug, owner_username=args.owner_username, owner_password=args.owner_password,
            status=MerchantStatus.PENDING if args.pending else MerchantStatus.ACTIVE, actor="cli",
        )  # fmt: skip
    except WeloopError as error:
        if args.json:
            print(json.dumps(error.as_dict(), ensure_ascii=False))
        return _fail(f"{error.code}: {error.detail}", code=1)
    wechat = created.wechat
    pay = _simulated_pay_for(created.merchant) if settings.WECHAT_MODE == "simulator" else None
    result = {
        "name": created.merchant.name,
        "slug": created.merchant.slug,
        "status": created.merchant.status,
        "owner_username": created.owner_username,
        "owner_password": created.owner_password,
        "api_key": created.api_key,
        "wechat": {
            "appid": wechat.appid,
            "app_secret": wechat.app_secret,
            "original_id": wechat.original_id,
            "token": wechat.token,
            "encoding_aes_key": wechat.encoding_aes_key,
            "message_mode": wechat.message_mode,
        },
        "callback_path": f"/wechat/{created.merchant.slug}/callback",
        "callback_url": f"{settings.PUBLIC_URL}/wechat/{created.merchant.slug}/callback",
        "console_url": f"{settings.PUBLIC_URL}/dashboard/",
        "h5_url": f"{settings.PUBLIC_URL}/m/{created.merchant.slug}/",
    }
    if pay is not None:
        result["wechat_pay"] = {"mchid": pay.mchid, "simulated": True}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"Merchant '{result['name']}' ({result['slug']}) created, status {result['status']}.")
    print(f"  Owner login     {result['owner_username']} / {result['owner_password']}")
    print(f"  API key         {result['api_key']}   (shown once; only its hash is stored)")
    for key, value in result["wechat"].items():  # type: ignore[attr-defined]
        print(f"  WeChat {key:<16} {value}")
    print(f"  Callback        {result['callback_url']}")
    if pay is not None:
        print(f"  WeChat Pay      mchid {pay.mchid} (simulated)")
    return 0


def _simulated_pay_for(merchant: Any) -> Any:
    """In simulator mode every new merchant can take (simulated) WeChat Pay payments at once."""
    from weloop.payments.services import pay_settings_create_simulated

    return pay_settings_create_simulated(merchant=merchant, actor="cli")


def cmd_merchant_set_wechat(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings

    from weloop.core.errors import WeloopError
    from weloop.tenants.selectors import merchant_for_slug
    from weloop.tenants.services import WechatCredentialsInput, wechat_account_set

    data = WechatCredentialsInput(
        appid=args.appid,
        app_secret=args.secret,
        token=args.token,
        encoding_aes_key=args.aes_key,
        original_id=args.original_id,
        message_mode=args.mode,
    )
    try:
        merchant = merchant_for_slug(args.slug, require_active=False)
        account = wechat_account_set(merchant=merchant, data=data, actor="cli")
    except WeloopError as error:
        return _fail(f"{error.code}: {error.detail}", code=1)
    print(
        f"WeChat account {account.appid} ({account.original_id}, {account.message_mode} mode) connected to "
        f"{merchant.slug}."
    )
    print(
        f"In the WeChat admin (设置与开发 > 基本配置 > 服务器配置) set the URL to "
        f"{settings.PUBLIC_URL}/wechat/{merchant.slug}/callback with the same Token and EncodingAESKey."
    )
    return 0


def _read_key_file(path: str, what: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read the {what} file {path!r}: {error}") from None


def cmd_merchant_set_pay(args: argparse.Namespace) -> int:
    _setup_django()
    from weloop.core.errors import WeloopError
    from weloop.payments.services import notify_url_for, pay_settings_set
    from weloop.tenants.selectors import merchant_for_slug

    try:
        merchant_private_key_pem = _read_key_file(args.merchant_private_key_file, "merchant private key")
        platform_public_key_pem = _read_key_file(args.platform_public_key_file, "WeChat Pay public key")
    except ValueError as error:
        return _fail(str(error))
    try:
        merchant = merchant_for_slug(args.slug, require_active=False)
        pay = pay_settings_set(
            merchant=merchant,
            mchid=args.mchid,
            apiv3_key=args.apiv3_key,
            merchant_private_key_pem=merchant_private_key_pem,
            merchant_serial=args.merchant_serial,
            platform_public_key_pem=platform_public_key_pem,
            platform_public_key_id=args.platform_public_key_id,
            actor="cli",
        )
    except WeloopError as error:
        field = error.extra.get("field")
        return _fail(f"{error.code}: {error.detail}" + (f" ({field})" if field else ""), code=1)
    print(f"WeChat Pay merchant {pay.mchid} (appid {pay.appid}) connected to {merchant.slug}.")
    print(f"Notifications arrive at {notify_url_for(merchant)} (it must be https for real WeChat Pay).")
    return 0


def cmd_merchant_list(args: argparse.Namespace) -> int:
    _setup_django()
    from weloop.tenants.selectors import merchant_list

    rows = [
        {"slug": m.slug, "name": m.name, "status": m.status, "created_at": m.created_at.isoformat()}
        for m in merchant_list().order_by("id")
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print("No merchants yet. Create one: weloop merchant create --name NAME --slug SLUG")
    for row in rows:
        print(f"{row['slug']:<24} {row['status']:<10} {row['name']}")
    return 0


def cmd_operator_create(args: argparse.Namespace) -> int:
    _setup_django()
    import secrets

    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    if users.filter(username=args.username).exists():
        return _fail(f"login {args.username!r} already exists", code=1)
    password = args.password or secrets.token_urlsafe(12)
    users.create_user(username=args.username, password=password, is_staff=True)
    print(f"Platform operator {args.username} created; password: {password}")
    return 0


# --- argument parsing -----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="weloop", description="Run and script the WeLoop platform.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the web server (granian) and the background worker")
    serve.add_argument("--host", default=os.environ.get("WELOOP_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("WELOOP_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WELOOP_WEB_WORKERS", "2")))
    serve.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("WELOOP_WEB_THREADS", "8")),
        help="blocking threads per web worker",
    )
    serve.add_argument("--seed-demo", action="store_true", help="seed the demo merchant if the database is empty")
    serve.add_argument("--no-worker", action="store_true", help="do not start the queue worker beside the server")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("worker", help="run the background worker (Huey consumer)").set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="create or upgrade the database tables").set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="reset and seed the demo merchant")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=cmd_demo)

    merchant = sub.add_parser("merchant", help="create and list merchants")
    merchant_sub = merchant.add_subparsers(dest="merchant_command", required=True, metavar="ACTION")
    create = merchant_sub.add_parser("create", help="create an active merchant with an owner login and API key")
    create.add_argument("--name", required=True)
    create.add_argument("--slug", required=True, help="3-40 lowercase letters, digits and hyphens")
    create.add_argument("--owner-username")
    create.add_argument("--owner-password")
    create.add_argument("--pending", action="store_true", help="create it pending the platform's approval")
    create.add_argument("--json", action="store_true", help="print exactly one JSON object")
    create.set_defaults(func=cmd_merchant_create)
    wechat = merchant_sub.add_parser("set-wechat", help="connect a real WeChat service account")
    wechat.add_argument("--slug", required=True)
    wechat.add_argument("--appid", required=True)
    wechat.add_argument("--secret", required=True, help="the AppSecret")
    wechat.add_argument("--token", required=True)
    wechat.add_argument("--aes-key", required=True, help="the 43-character EncodingAESKey")
    wechat.add_argument("--original-id", required=True, help="gh_…")
    wechat.add_argument("--mode", default="safe", choices=["plaintext", "compatible", "safe"])
    wechat.set_defaults(func=cmd_merchant_set_wechat)
    pay = merchant_sub.add_parser("set-pay", help="connect a real WeChat Pay v3 merchant account")
    pay.add_argument("--slug", required=True)
    pay.add_argument("--mchid", required=True, help="the merchant id (商户号), digits")
    pay.add_argument("--apiv3-key", required=True, help="the 32-character APIv3 key")
    pay.add_argument("--merchant-private-key-file", required=True, help="apiclient_key.pem")
    pay.add_argument("--merchant-serial", required=True, help="the serial of the merchant API certificate")
    pay.add_argument("--platform-public-key-file", required=True, help="the WeChat Pay public key (pub_key.pem)")
    pay.add_argument("--platform-public-key-id", required=True, help="PUB_KEY_ID_…")
    pay.set_defaults(func=cmd_merchant_set_pay)
    listing = merchant_sub.add_parser("list", help="list merchants")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_merchant_list)

    operator = sub.add_parser("operator", help="manage platform operators")
    operator_sub = operator.add_subparsers(dest="operator_command", required=True, metavar="ACTION")
    op_create = operator_sub.add_parser("create", help="create a platform operator login")
    op_create.add_argument("--username", required=True)
    op_create.add_argument("--password")
    op_create.set_defaults(func=cmd_operator_create)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
