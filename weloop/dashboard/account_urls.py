from django.contrib.auth.views import LogoutView
from django.urls import path

from weloop.dashboard import accounts

app_name = "accounts"

urlpatterns = [
    path("login/", accounts.SignInView.as_view(), name="login"),
    # Django's LogoutView answers only POST: a link or an <img> elsewhere cannot sign anyone out.
    path("logout/", LogoutView.as_view(), name="logout"),
    path("password/", accounts.password_change, name="password_change"),
]
