"""Talking to the payment processors: the adapters (the only code that
imports an SDK), syncing what Stripe and PayPal say into our rows, their
webhooks, the Stripe import, and the connections a vendor sets up."""
