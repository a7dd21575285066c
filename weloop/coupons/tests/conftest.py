from weloop.coupons.tests.fixtures import *  # noqa: F403
from weloop.orders.tests.fixtures import *  # noqa: F403
