"""Alerts: what is wrong with a CPO's charge points now, and who is told (seed 003, "Ladeinfrastruktur
Benachrichtigungen"). A periodic tick turns the stations' StatusNotifications, their connections and csms's anomalies
into alerts (one open alert per charge point and source, closed on recovery); a mail run tells each notification
group's recipients, de-duplicated and grouped, and tells them again when the charge point has recovered for good.
Pure rules in core.alerts.cases (which OCPP error is which case) and core.alerts.rules (flapping, grouping)."""
