from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.referrals.tests.fixtures import *  # noqa: F403
