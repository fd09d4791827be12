"""`make bench-storm`: a renewal day against the production shape (issue 26).

bench.storm.world      the renewals and their Stripe objects, derived from an index
bench.storm.processor  the processor fake built for load (aiohttp) and the SMTP sink
bench.storm.run        seeds, starts gunicorn + the Celery workers, delivers, reports
"""
