import pytest

from weloop.core.errors import InvalidTransition
from weloop.marketing.enums import CampaignKind, CampaignStatus
from weloop.marketing.models import Campaign
from weloop.marketing.state import CAMPAIGN

pytestmark = pytest.mark.django_db

ALLOWED = {
    ("draft", "scheduled"),
    ("draft", "cancelled"),
    ("scheduled", "sending"),
    ("scheduled", "draft"),
    ("scheduled", "cancelled"),
    ("scheduled", "failed"),
    ("sending", "sent"),
    ("sending", "cancelled"),
    ("sending", "failed"),
}
PAIRS = [(a, b) for a in CampaignStatus.values for b in CampaignStatus.values]


def test_campaign_machine_table_is_exactly_the_documented_one():
    assert {(a, b) for a, b in PAIRS if CAMPAIGN.can(a, b)} == ALLOWED


@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_campaign_transition_allowed_or_refused(merchant, src, dst):
    campaign = Campaign.objects.create(merchant=merchant, name="c", kind=CampaignKind.TEXT, channel="mass", status=src)
    if (src, dst) in ALLOWED:
        CAMPAIGN.transition(campaign, dst)
        campaign.refresh_from_db()
        assert campaign.status == dst
    else:
        with pytest.raises(InvalidTransition):
            CAMPAIGN.transition(campaign, dst)
        campaign.refresh_from_db()
        assert campaign.status == src
