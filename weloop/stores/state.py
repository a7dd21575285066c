from weloop.core.state import StateMachine
from weloop.stores.enums import StoreStatus

STORE = StateMachine(
    "store",
    {
        StoreStatus.ACTIVE: {StoreStatus.PAUSED, StoreStatus.CLOSED},
        StoreStatus.PAUSED: {StoreStatus.ACTIVE, StoreStatus.CLOSED},
        StoreStatus.CLOSED: {StoreStatus.ACTIVE},
    },
)
