"""The hub speaks the languages it has catalogs for (settings.LANGUAGES):
vendors that had chosen British English or Dutch, which had none, speak
English after the migration, as their hubs already did."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("vendors", "0005_scheduled_retry")]
AFTER = [("vendors", "0006_vendor_language_choices")]


@pytest.mark.django_db(transaction=True)
def test_languages_without_a_catalog_become_english():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    Vendor = executor.loader.project_state(BEFORE).apps.get_model("vendors", "Vendor")
    for slug, locale in [("brit", "en-gb"), ("dutch", "nl"), ("german", "de"), ("plain", "en")]:
        Vendor.objects.create(slug=slug, name=slug.title(), locale=locale)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    Vendor = executor.loader.project_state(AFTER).apps.get_model("vendors", "Vendor")
    assert dict(Vendor.objects.values_list("slug", "locale")) == {
        "brit": "en",
        "dutch": "en",
        "german": "de",
        "plain": "en",
    }
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
