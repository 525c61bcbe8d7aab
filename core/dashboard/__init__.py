"""The start page's figures: sessions, energy and revenue pre-aggregated per tenant and local hour (``buckets``),
and the summary the dashboard shows (``summary``)."""
