"""The customer hub under /<account>/updateinfo/ (the URL contract in DESIGN.md)."""

from django.urls import include, path

from . import hub_views

app_name = "hub"

urlpatterns = [
    path("", hub_views.home, name="home"),
    path("", include("magiclinks.urls")),
]
