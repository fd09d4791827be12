"""The benchmark harness's own rules (bench/run.py): which pages it measures
and what fails the CI smoke. Timings are never judged here."""

from django.db.models import NOT_PROVIDED

from bench.run import check, pages


def _info():
    return {
        "vendor": "bench-shop",
        "customers": {
            "5": {"id": 1, "payments": 5, "invoice": "BENCH-000001"},
            "500": {"id": 2, "payments": 500, "invoice": None},
        },
    }


def test_it_measures_the_first_and_last_page_of_every_sort_for_each_history():
    names = [p["name"] for p in pages(_info())]
    assert "dashboard [5]" in names and "subscriptions [500]" in names
    assert "purchases -order p1 [500]" in names and "purchases -order p20 [500]" in names
    assert "purchases status p1 [5]" in names
    assert not any(n.startswith("purchases") and "p1 [5]" not in n and "[5]" in n for n in names)
    assert "invoice [5]" in names and "invoice [500]" not in names


def _row(page, queries, size, last=False, bad=0):
    return {"page": page, "queries": queries, "size": size, "last_page": last, "bad": bad,
            "requests": 10}  # fmt: skip


def test_a_query_count_that_grows_with_the_history_fails_the_smoke():
    report = {
        "pages": [
            _row("dashboard [5]", 5, "5"),
            _row("dashboard [500]", 6, "500"),
            _row("purchases date p1 [5]", 6, "5"),
            _row("purchases date p1 [500]", 6, "500"),
            _row("purchases date p20 [500]", 6, "500", last=True),
        ]
    }
    assert check(report, smoke=True) == [
        "dashboard: the query count changes with history length: [5, 6]"
    ]


def test_failed_responses_fail_the_smoke_and_timings_never_do():
    report = {"pages": [_row("invoice [5]", 4, "5", bad=2) | {"p99_ms": 99999.0}]}
    assert check(report, smoke=True) == ["invoice [5]: 2 failed responses"]
    report = {"pages": [_row("invoice [5]", 4, "5") | {"p99_ms": 99999.0, "rps": 0.1}]}
    assert check(report, smoke=True) == []


def test_the_datasets_copy_columns_cover_every_required_column_of_the_models():
    """COPY skips the ORM's defaults: a column added to a model without a
    database default must be added to the dataset too, or `make bench-smoke`
    breaks in CI long after the suite went green."""
    from bench import dataset
    from billing.models import Customer, Invoice, Order, Payment, Subscription

    copies = {
        Customer: dataset.CUSTOMER_COLUMNS,
        Subscription: dataset.SUBSCRIPTION_COLUMNS,
        Order: dataset.ORDER_COLUMNS,
        Payment: dataset.PAYMENT_COLUMNS,
        Invoice: dataset.INVOICE_COLUMNS,
    }
    for model, columns in copies.items():
        listed = {c.strip() for c in columns.split(",")}
        required = {
            f.column
            for f in model._meta.concrete_fields
            if not f.null and not f.primary_key and f.db_default is NOT_PROVIDED
        }
        assert required - listed == set(), model.__name__
        assert listed <= {f.column for f in model._meta.concrete_fields}, model.__name__
