"""One measurement in a fresh process, printed as a JSON line (bench.measure runs it).

python -m bench.probe csv <customer id>          # stream the CSV, time and peak RSS growth
python -m bench.probe pdf <invoice id> [--cold]  # a first render, warmed up or not
"""

import json
import resource
import sys
import time


def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: a child
    started from a large parent inherits the parent's ru_maxrss."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str]) -> None:
    import django

    django.setup()
    kind, pk = argv[0], int(argv[1])
    if kind == "csv":
        from billing.documents.exports import purchase_csv_lines
        from billing.models import Customer
        from billing.selectors import payment_history

        customer = Customer.objects.select_related("vendor").get(pk=pk)
        # Warm up: the same code path on a few rows, so imports, the
        # connection and translations are not counted as growth.
        for _ in purchase_csv_lines(
            payments=payment_history(customer=customer)[:50], vendor=customer.vendor
        ):
            pass
        before = _peak_mb()
        started = time.perf_counter()
        rows = 0
        size = 0
        for line in purchase_csv_lines(
            payments=payment_history(customer=customer), vendor=customer.vendor
        ):
            rows += line.count("\r\n")  # a chunk of lines at a time
            size += len(line)
        seconds = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "rows": rows - 1,
                    "seconds": round(seconds, 3),
                    "bytes": size,
                    "rss_before_mb": round(before, 1),
                    "rss_growth_mb": round(_peak_mb() - before, 1),
                }
            )
        )
        return
    if kind == "pdf":
        started = time.perf_counter()
        from billing.documents import pdf

        warm_ms = None
        if "--cold" not in argv:
            pdf.pdf_warm_up()  # what every web and worker process does at start
            warm_ms = round((time.perf_counter() - started) * 1000, 1)
        from billing.models import Invoice

        invoice = Invoice.objects.select_related("payment", "vendor").get(pk=pk)
        before = _peak_mb()
        started = time.perf_counter()
        data = pdf.pdf_render(invoice=invoice)
        render_ms = (time.perf_counter() - started) * 1000
        print(
            json.dumps(
                {
                    "first_render_ms": round(render_ms, 1),
                    "warm_up_ms": warm_ms,
                    "bytes": len(data),
                    "rss_mb": round(_peak_mb(), 1),
                    "rss_growth_mb": round(_peak_mb() - before, 1),
                }
            )
        )
        return
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
