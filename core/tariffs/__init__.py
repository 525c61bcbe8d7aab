"""Tariffs: a CPO's tariffs with net prices, their assignment to charge points over time, the 7 % rule, and the
pricing engine that prices a session.

Uses tenancy and infrastructure (charge points, the overview's filters). Whether something of a higher domain
keeps a tariff's prices frozen (a driver group, a session) is asked through core.db.referenced, not by import.
"""
