from django.urls import path

from weloop.platform_console import views

app_name = "platform"

urlpatterns = [
    path("", views.merchant_list, name="home"),
    path("merchants/new/", views.merchant_new, name="merchant_create"),
    path("merchants/<slug:slug>/", views.merchant_detail, name="merchant_detail"),
    path("merchants/<slug:slug>/status/", views.merchant_status, name="merchant_set_status"),
]
