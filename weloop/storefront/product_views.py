"""Consumer H5 product pages under /m/<merchant_slug>/products/: thin views over product_presenters.

The product page's buy area posts to the shop (``shop_views.cart_add``): add to cart, or buy now.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from weloop.storefront.product_presenters import product_groups, product_page
from weloop.storefront.shell import consumer_view, render_page
from weloop.storefront.shop_views import remember_table

MAX_OPTION_VALUE = 60


@require_safe
@consumer_view
def product_list(request: HttpRequest) -> HttpResponse:
    remember_table(request)  # a table or shelf QR may open the product list
    groups = product_groups(merchant=request.merchant)  # type: ignore[attr-defined]
    return render_page(request, "storefront/products.html", {"groups": groups}, tab="products")


@require_safe
@consumer_view
def product_detail(request: HttpRequest, product_id: str) -> HttpResponse:
    # The options chooser is a GET form: ``o0=大杯&o1=冰`` picks one value per option name.
    chosen = {
        int(key[1:]): value[:MAX_OPTION_VALUE]
        for key, value in request.GET.items()
        if key[:1] == "o" and key[1:].isdigit() and len(key) <= 3
    }
    page = product_page(merchant=request.merchant, product_id=product_id, chosen=chosen)  # type: ignore[attr-defined,arg-type]
    context = {"page": page, "added": request.GET.get("added") == "1"}
    return render_page(request, "storefront/product_detail.html", context, tab="products")
