from django.urls import include, path
from django.views.generic import RedirectView

from weloop.core import views as core_views
from weloop.gateway import pay_views as gateway_pay_views
from weloop.gateway import views as gateway_views

urlpatterns = [
    path("", RedirectView.as_view(url="/dashboard/", permanent=False)),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("weloop.dashboard.account_urls")),
    path("dashboard/", include("weloop.dashboard.urls")),
    path("m/<slug:merchant_slug>/", include("weloop.storefront.urls")),
    path("clerk/", include("weloop.clerk.urls")),
    path("platform/", include("weloop.platform_console.urls")),
    path("api/v1/", include("weloop.api.urls")),
    path("wechat/<slug:merchant_slug>/callback", gateway_views.callback, name="wechat_callback"),
    path("pay/wechat/<slug:merchant_slug>/notify", gateway_pay_views.notify, name="wechatpay_notify"),
    path("simulator/", include("weloop.simulator.urls")),
]

handler400 = "weloop.core.views.bad_request"
handler403 = "weloop.core.views.permission_denied"
handler404 = "weloop.core.views.page_not_found"
handler500 = "weloop.core.views.server_error"
