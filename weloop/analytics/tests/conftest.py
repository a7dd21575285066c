from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.vouchers.tests.fixtures import *  # noqa: F403
