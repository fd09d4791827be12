"""`make demo`: the app with its processors, offline.

Starts localstripe (one per demo vendor, behind one address: each vendor its
own Stripe account) and our fake PayPal on 127.0.0.1, points the app at them
(STRIPE_API_BASE, STRIPE_JS_URL, PAYPAL_API_BASE), seeds the demo (which
creates the demo's customers, subscriptions and cards in the fakes), then
runs the development server. Ctrl-C stops all three.

Usage: python -m tests.support.demo [--host 127.0.0.1] [--port 8000]
       [--stripe-port 12111] [--paypal-port 12112]
"""

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# The demo vendors, each with its own fake Stripe account (stripe_accounts).
DEMO_ACCOUNTS = ("demo", "acme")


def wait_for(url: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read(16)
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"{what} did not start (is the port free?)")
            time.sleep(0.1)


def demo_env(*, host: str, port: str, stripe_port: str, paypal_port: str) -> dict[str, str]:
    """The demo's settings: links follow the port it runs on (make demo
    PORT=8123 prints and emails links on 8123), processors are the fakes."""
    stripe_base = f"http://127.0.0.1:{stripe_port}"
    return {
        "DEBUG": "1",
        "SITE_URL": os.environ.get("SITE_URL") or f"http://{host}:{port}",
        "STRIPE_API_BASE": stripe_base,
        "STRIPE_JS_URL": f"{stripe_base}/js.stripe.com/v3/",
        "PAYPAL_API_BASE": f"http://127.0.0.1:{paypal_port}",
    }


def webhooks_register(*, stripe_base: str, site: str) -> None:
    """Point localstripe's webhooks at the demo vendors' endpoints, signed
    with the secrets seed_demo gave them: a payment made at the fake Stripe
    reaches the hub within seconds, as it would from Stripe."""
    import urllib.parse

    for slug in DEMO_ACCOUNTS:
        # The secret seed_demo's demo_webhook_secret() gave the vendor (this
        # module runs before Django is set up, so it cannot import it).
        secret = f"whsec_demo_{slug}"
        data = urllib.parse.urlencode(
            {"url": f"{site}/webhooks/stripe/{slug}/", "secret": secret}
        ).encode()
        request = urllib.request.Request(
            f"{stripe_base}/_config/webhooks/hub-demo-{slug}", data=data, method="POST"
        )
        urllib.request.urlopen(request, timeout=5).read()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--stripe-port", default="12111")
    parser.add_argument("--paypal-port", default="12112")
    args = parser.parse_args()

    stripe_base = f"http://127.0.0.1:{args.stripe_port}"
    paypal_base = f"http://127.0.0.1:{args.paypal_port}"
    python = sys.executable
    quiet = {"stdout": subprocess.DEVNULL, "cwd": ROOT}
    fakes = [
        # One fake Stripe account per demo vendor, as at Stripe: each
        # vendor's key reads only its own objects and each account's events
        # reach only its own vendor's endpoint.
        subprocess.Popen(
            [python, "-m", "tests.support.stripe_accounts", args.stripe_port, *DEMO_ACCOUNTS],
            **quiet,
        ),
        subprocess.Popen(
            [
                python,
                "-m",
                "tests.support.fake_paypal",
                "--port",
                args.paypal_port,
                "--seed",
                "demo",
            ],
            **quiet,
        ),
    ]
    try:
        wait_for(f"{stripe_base}/js.stripe.com/v3/", fakes[0], "localstripe")
        wait_for(f"{paypal_base}/myaccount/autopay/", fakes[1], "The fake PayPal")
        settings = demo_env(
            host=args.host,
            port=args.port,
            stripe_port=args.stripe_port,
            paypal_port=args.paypal_port,
        )
        env = {**os.environ, **settings}
        site = settings["SITE_URL"]
        subprocess.run([python, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True)
        webhooks_register(stripe_base=stripe_base, site=site)
        print(f"\n  Customer Hub demo:   {site}/demo/updateinfo/")
        print(f"  Emails it sends:     {site}/_dev/mail/")
        print(f"  Fake Stripe:         {stripe_base}   Fake PayPal: {paypal_base}")
        print("  Test cards: 4242 4242 4242 4242 (works), 4000 0000 0000 0002 (declined),")
        print("              4000 0025 0000 3155 (asks for 3-D Secure)\n", flush=True)
        server = subprocess.Popen(
            [python, "manage.py", "runserver", f"{args.host}:{args.port}"], cwd=ROOT, env=env
        )
        fakes.append(server)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for process in fakes:
            process.terminate()
        for process in fakes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
