"""Two landings of one visitor at the same moment (two referrers' links) make exactly one binding."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from weloop.referrals import services
from weloop.referrals.errors import AlreadyBound
from weloop.referrals.models import ReferralBinding

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_concurrent_landings_make_one_binding(merchant, make_member):
    visitor = make_member()
    codes = [services.referrer_for_member(merchant=merchant, member=make_member()).code for _ in range(6)]
    barrier = threading.Barrier(len(codes))
    outcomes: list[str] = []

    def land(code: str) -> None:
        try:
            barrier.wait()
            services.binding_create(merchant=merchant, member=visitor, code=code)
            outcomes.append("bound")
        except AlreadyBound:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=land, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ReferralBinding.objects.filter(member=visitor).count() == 1
    assert sorted(outcomes) == ["bound"] + ["refused"] * (len(codes) - 1)
