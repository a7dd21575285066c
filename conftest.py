"""Fixtures shared by every test: merchants, staff logins, API clients, stores."""

from __future__ import annotations

import itertools
import os

import pytest
from hypothesis import settings as hypothesis_settings

_counter = itertools.count(1)

# CI shares two cores with PostgreSQL, Redis and a browser: a per-example deadline would turn a busy
# machine into a failed property test, and timing is measured by `make bench`, never by tests.
hypothesis_settings.register_profile("weloop", deadline=None, print_blob=True)
hypothesis_settings.load_profile("weloop")


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("WELOOP_QUEUE_IMMEDIATE", "1")
    # pytest-django loaded the settings, and djhuey built the queue, before this hook runs, so the
    # variable above only reaches subprocesses: switch the running queue to immediate mode here,
    # or tests would enqueue into the data dir's queue file that no test consumer reads.
    if os.environ["WELOOP_QUEUE_IMMEDIATE"] == "1":
        from huey.contrib.djhuey import HUEY

        HUEY.immediate = True
    from django.conf import settings

    # PBKDF2 costs ~0.4 s per merchant_create (it hashes an owner password); tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Segment attribute bitmaps (following, gender...) are cached per process for 30 s; tests change
    # members and count again at once, and rolled-back tests reuse pks on SQLite.
    settings.SEGMENTS_ATTRIBUTE_TTL_SECONDS = 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    if not settings.DATABASE_IS_SQLITE:
        return
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgresql://… (CI does)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip_pg)


@pytest.fixture
def make_merchant(db):
    """Create an active merchant; returns weloop.tenants.services.NewMerchant."""
    from weloop.tenants.services import merchant_create

    def make(name: str | None = None, slug: str | None = None, **kwargs):
        n = next(_counter)
        return merchant_create(name=name or f"Shop {n}", slug=slug or f"shop-{n}-{os.getpid()}", **kwargs)

    return make


@pytest.fixture
def new_merchant(make_merchant):
    return make_merchant(name="Bakery", slug="bakery")


@pytest.fixture
def merchant(new_merchant):
    return new_merchant.merchant


@pytest.fixture
def other_new_merchant(make_merchant):
    return make_merchant(name="Rival", slug="rival")


@pytest.fixture
def other_merchant(other_new_merchant):
    return other_new_merchant.merchant


@pytest.fixture
def make_staff(db):
    """Create a staff login of ``merchant`` with ``role``; returns the StaffMember."""
    from weloop.tenants.services import staff_create

    def make(merchant, role: str = "owner", username: str | None = None, password: str = "Weloop-test-123"):
        return staff_create(
            merchant=merchant,
            username=username or f"{role}-{next(_counter)}",
            password=password,
            role=role,
        )

    return make


@pytest.fixture
def staff_client(client, make_staff):
    """Log a Django test client in as staff of ``merchant`` with ``role``."""

    def login(merchant, role: str = "owner"):
        staff = make_staff(merchant, role)
        client.force_login(staff.user)
        return client

    return login


@pytest.fixture
def owner_client(staff_client, merchant):
    return staff_client(merchant, "owner")


@pytest.fixture
def english(client):
    """The test client asks for English pages: for tests that read the English source strings (the UI is
    Chinese by default)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def api_client(client, new_merchant):
    """A test client that sends the merchant's API key on every request."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {new_merchant.api_key}"
    return client


@pytest.fixture
def make_store(db):
    from weloop.stores.services import HoursInput, StoreInput, store_create

    def make(merchant, name: str | None = None, latitude="22.543096", longitude="114.057865", **kwargs):
        data = StoreInput(
            name=name or f"Store {next(_counter)}",
            address=kwargs.pop("address", "1 Shennan Avenue"),
            city=kwargs.pop("city", "Shenzhen"),
            latitude=latitude,
            longitude=longitude,
            hours=kwargs.pop("hours", [HoursInput(w, "08:00", "22:00") for w in range(7)]),
            **kwargs,
        )
        return store_create(merchant=merchant, data=data, actor="test")

    return make


@pytest.fixture
def store(make_store, merchant):
    return make_store(merchant, name="Futian flagship")


@pytest.fixture
def simulated_wechat(settings, live_server):
    """Point every WeChat base URL, and the simulator's callbacks, at the running test server."""
    base = live_server.url
    settings.PUBLIC_URL = base
    settings.WECHAT_API_BASE = base + "/simulator/api"
    settings.WECHAT_OPEN_BASE = base + "/simulator/open"
    settings.WECHAT_MP_BASE = base + "/simulator/mp"
    settings.WECHAT_PAY_BASE = base + "/simulator/pay"
    settings.WELOOP_SIMULATOR_CALLBACK_BASE = base
    return base
