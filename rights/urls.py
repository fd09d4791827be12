"""The public pages of consumer rights, included into the hub's namespace."""

from django.urls import path

from . import views, withdrawal_views

urlpatterns = [
    path("cancel/", views.cancel, name="rights_cancel"),
    path("cancel/done/<str:token>/", views.cancel_done, name="rights_cancel_done"),
    path("cancel/done/<str:token>/pdf", views.cancel_done_pdf, name="rights_cancel_done_pdf"),
]

urlpatterns += [
    path("withdraw/", withdrawal_views.withdraw, name="rights_withdraw"),
    path("withdraw/done/<str:token>/", withdrawal_views.withdraw_done, name="rights_withdraw_done"),
]

urlpatterns += [path("record.csv", views.record_csv, name="rights_record_csv")]
