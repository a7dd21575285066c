from weloop.orders.tests.fixtures import *  # noqa: F403
