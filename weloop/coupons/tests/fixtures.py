from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.coupons import services
from weloop.coupons.services import TemplateInput


@pytest.fixture
def make_template(merchant):
    def make(owner=None, **overrides):
        fields = {"name": "¥5 off", "kind": "amount_off", "amount_fen": 500, "valid_days": 30}
        fields.update(overrides)
        return services.template_create(merchant=owner or merchant, data=TemplateInput(**fields), actor="test")

    return make


@pytest.fixture
def template(make_template):
    return make_template()


def later(days: int = 1):
    from weloop.core import clock

    return clock.now() + timedelta(days=days)
