"""Consumer H5 routes, mounted at /m/<slug:merchant_slug>/ by weloop/urls.py."""

from django.urls import path

from weloop.storefront import views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("stores/", views.store_list, name="store_list"),
    path("stores/<str:store_id>/", views.store_detail, name="store_detail"),
]
