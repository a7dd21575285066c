"""Consumer H5 routes, mounted at /m/<slug:merchant_slug>/ by weloop/urls.py."""

from django.urls import path

from weloop.storefront import member_views, product_views, views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("stores/", views.store_list, name="store_list"),
    path("stores/<str:store_id>/", views.store_detail, name="store_detail"),
    # the member: WeChat sign-in, "Me", the JS-SDK config for pages that locate or scan
    path("oauth/start", member_views.oauth_start, name="oauth_start"),
    path("oauth/callback", member_views.oauth_callback, name="oauth_callback"),
    path("me/", member_views.me, name="me"),
    path("jssdk-config", member_views.jssdk_config, name="jssdk_config"),
    # products: the catalog on sale, by category; a product's options, prices and stock per store
    path("products/", product_views.product_list, name="product_list"),
    path("products/<str:product_id>/", product_views.product_detail, name="product_detail"),
]
