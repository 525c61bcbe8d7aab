"""Payment provider adapters that speak HTTP (core knows no HTTP): each implements core.payments.provider's
``PaymentProvider`` and is registered by csms.wiring."""
