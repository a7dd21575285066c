from weloop.core.state import StateMachine
from weloop.tenants.enums import MerchantStatus

MERCHANT = StateMachine(
    "merchant",
    {
        MerchantStatus.PENDING: {MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED},
        MerchantStatus.ACTIVE: {MerchantStatus.SUSPENDED},
        MerchantStatus.SUSPENDED: {MerchantStatus.ACTIVE},
    },
)
