"""In-process CPU cost and queries of filing one inbound message into a conversation (issue #3).

The service desk's outbox subscriber on ``messaging.message_received`` files every message from a
follower into the member's conversation. This publishes ``--n`` text events from ``--members``
members (most conversations already open and assigned: the steady state), then delivers them with
``core.events.deliver_due`` as the worker does, and prints CPU per delivery and queries per delivery.

    python -m bench.profile_service_desk_filing [--db sqlite|postgresql] [--n 2000] [--profile]

PostgreSQL uses ``WELOOP_BENCH_PG`` (recreated), default ``postgresql://postgres@127.0.0.1:5432/weloop_prof``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import tempfile
import time

from bench.profile_wechat_callback import _setup


def _publish(merchant, members, start: int, count: int) -> None:
    from django.db import transaction

    from weloop.core import clock
    from weloop.core.events import publish_many

    payloads = [
        {
            "message_log_id": 10_000_000 + start + i,
            "openid": members[i % len(members)].openid,
            "member_id": members[i % len(members)].public_id,
            "msg_type": "text",
            "event": "",
            "content": f"hello {start + i}",
            "at": clock.now().isoformat(),
        }
        for i in range(count)
    ]
    with transaction.atomic():
        for offset in range(0, count, 500):
            publish_many(merchant=merchant, name="messaging.message_received", payloads=payloads[offset : offset + 500])


def _deliver() -> int:
    from weloop.core.events import deliver_due

    done = 0
    while attempted := deliver_due(limit=500):
        done += attempted
    return done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _setup(args.db, tmp)
        from unittest import mock

        from django.db import connection
        from django.test.utils import CaptureQueriesContext, override_settings

        from weloop.members.models import Member
        from weloop.tenants.enums import StaffRole
        from weloop.tenants.models import StaffMember
        from weloop.tenants.services import merchant_create

        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            new = merchant_create(name="Bench", slug="bench")
        merchant = new.merchant if hasattr(new, "merchant") else new
        owner = StaffMember.objects.filter(merchant=merchant).first()
        if owner is not None:  # a service agent so that conversations get assigned
            StaffMember.objects.filter(pk=owner.pk).update(role=StaffRole.SERVICE_AGENT)
        members = Member.objects.bulk_create(
            [
                Member(merchant=merchant, openid=f"o{secrets.token_hex(13)}"[:28], first_source="follow")
                for _ in range(args.members)
            ]
        )
        members = list(Member.objects.filter(merchant=merchant).order_by("id"))
        figures: dict[str, object] = {"db": args.db, "deliveries": args.n, "loadavg": os.getloadavg()}
        with mock.patch("weloop.core.events._nudge_worker"):
            _publish(merchant, members, 0, len(members))  # warm-up: every conversation created and assigned
            _deliver()
            _publish(merchant, members, len(members), args.n)
            with CaptureQueriesContext(connection) as one:  # one delivery, to count its queries
                from weloop.core.events import deliver_due

                deliver_due(limit=1)
            cpu, wall = time.process_time(), time.perf_counter()
            profiler = cProfile.Profile() if args.profile else None
            if profiler:
                profiler.enable()
            done = _deliver() + 1
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        from weloop.service_desk.models import ConversationMessage

        filed = ConversationMessage.objects.filter(merchant=merchant).count()
        figures.update(
            {
                "filed_messages": filed,
                "queries_per_delivery": len(one.captured_queries),
                "cpu_us_per_delivery": round(cpu / done * 1e6),
                "deliveries_per_second_wall": round(done / wall),
            }
        )
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
            print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
            print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
        if os.environ.get("SHOW_QUERIES"):
            for q in one.captured_queries:
                print(q["sql"][:300])
        connection.close()
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
