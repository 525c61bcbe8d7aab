"""Access: charging cards (Ladekarten) and driver groups (Nutzergruppen) with their kind, tariff and scope;
later charge groups and partners' tokens as seen from access.

Uses tenancy, infrastructure (a group's scope) and tariffs (a group's tariff). Whether a group was used by a
session is asked through core.db.referenced, not by importing core.charging.
"""
