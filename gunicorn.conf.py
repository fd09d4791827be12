"""gunicorn settings read from the working directory (`gunicorn hub.wsgi`).

Command-line flags (bind, workers) still win; this file only adds what a
flag cannot say.
"""

import os


def post_worker_init(worker) -> None:
    """Import and warm WeasyPrint once per worker process, before it takes
    requests, so a customer's first PDF download is a plain render (~60-90 ms)
    rather than the import and font loading (~0.5-1.5 s). PDF_WARM_UP=0 skips it."""
    if os.environ.get("PDF_WARM_UP", "1") != "0":
        from billing.pdf import pdf_warm_up

        pdf_warm_up()
