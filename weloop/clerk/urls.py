from django.urls import path

from weloop.clerk import views

app_name = "clerk"

urlpatterns = [
    path("", views.home, name="home"),
    path("stores/<str:store_id>/status/", views.store_toggle, name="store_toggle"),
]
