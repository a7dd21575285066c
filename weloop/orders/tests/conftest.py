"""The orders fixtures live in fixtures.py so other apps' tests can import them (a conftest imported
as a plain module breaks pytest-xdist's plugin registration)."""

from weloop.orders.tests.fixtures import *  # noqa: F403
