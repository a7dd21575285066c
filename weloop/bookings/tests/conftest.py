"""The bookings fixtures live in fixtures.py so other apps' tests can import them."""

from weloop.bookings.tests.fixtures import *  # noqa: F403
from weloop.orders.tests.fixtures import *  # noqa: F403
