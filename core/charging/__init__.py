"""Charging: the charging process as stations report it (connections and presence, boot, status, transactions,
meter values), the one authorization decision for an id tag, and what staff see of it (OCPP log,
Freischaltmonitor, anomalies, unknown stations).

Uses tenancy, infrastructure, tariffs and access. Commands, CDRs and everything above use it.
"""
