"""Direct Payment: a driver pays ad hoc at a charge point (issue 15).

``states`` is the payment's state machine, ``provider`` the ``PaymentProvider`` interface with its idempotency
keys, ``tables`` the Payment row and its append-only PaymentEvent log, ``sandbox`` the default provider (its
state in our database), ``service`` the steps (authorise, start, capture, release, refund) and ``recovery``
finishes payments that a crash left in an intermediate state. Providers that speak HTTP (Stripe) are adapters
outside core (``payment_providers``), registered by ``csms.wiring``.
"""
