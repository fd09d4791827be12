from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views, webhook_views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path(f"{settings.MEDIA_URL.strip('/')}/logos/<path:name>", views.logo, name="logo"),
    # Payments II: processors' webhooks, per vendor (outside the hub).
    path("webhooks/stripe/<str:vendor_slug>/", webhook_views.stripe_webhook, name="stripe_webhook"),
    path("webhooks/paypal/<str:vendor_slug>/", webhook_views.paypal_webhook, name="paypal_webhook"),
    path("_dev/mail/", views.dev_mail_list, name="dev_mail_list"),
    path("_dev/mail/<str:mail_id>/", views.dev_mail_detail, name="dev_mail_detail"),
    path("<slug:account>/updateinfo/", include("hub.hub_urls")),
]

handler404 = "hub.views.not_found"
handler500 = "hub.views.server_error"
