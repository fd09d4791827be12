"""Access, sign-in and sign-out routes, included into the hub's namespace."""

from django.urls import path

from . import api_link_views, views

urlpatterns = [
    path("access/", views.access_request, name="access_request"),
    path("access/code/", views.access_code, name="access_code"),
    path("access/<str:token>/", views.access_link, name="access_link"),
    path("access/api/<str:token>/", api_link_views.api_link, name="api_link"),
    path("signout/", views.signout, name="signout"),
    path("email/<str:token>/", views.email_confirm, name="email_confirm"),
]
