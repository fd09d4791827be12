from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from vendors.onboarding import OwnerPasswordView

from . import views
from .api import api

urlpatterns = [
    # Before the admin's catch-all: the new owner's one-time password link.
    path(
        "admin/welcome/<uidb64>/<token>/",
        OwnerPasswordView.as_view(),
        name="vendor_owner_password",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path(f"{settings.MEDIA_URL.strip('/')}/logos/<path:name>", views.logo, name="logo"),
    path("_dev/mail/", views.dev_mail_list, name="dev_mail_list"),
    path("_dev/mail/<str:mail_id>/", views.dev_mail_detail, name="dev_mail_detail"),
    path("<slug:account>/updateinfo/", include("hub.hub_urls")),
]

handler404 = "hub.views.not_found"
