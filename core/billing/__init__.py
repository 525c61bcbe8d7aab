"""Billing (issue 16): the platform operator's monthly billing run over every tenant (invoice lines for products,
commission credits for affiliate resellers), previewed and then finalised. Rules in core.billing.rules, the run in
core.billing.runs, reading in core.billing.reading."""
