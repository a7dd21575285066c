"""The product state machine: drafts go on sale, products on sale go back to draft or are archived."""

from weloop.catalog.enums import ProductStatus
from weloop.core.state import StateMachine

PRODUCT = StateMachine(
    "product",
    {
        ProductStatus.DRAFT: {ProductStatus.ACTIVE, ProductStatus.ARCHIVED},
        ProductStatus.ACTIVE: {ProductStatus.DRAFT, ProductStatus.ARCHIVED},
        # An archived product comes back as a draft, to be checked before it is on sale again.
        ProductStatus.ARCHIVED: {ProductStatus.DRAFT},
    },
)
