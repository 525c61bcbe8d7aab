"""Infrastructure: locations, charging stations, charge points (EVSEs) and connectors, charge groups, EVSE-ID
syntax, the station data sheet, the advanced overview and the CSV bulk import.

Uses tenancy and eichrecht (a station's meter key); tariffs, access, charging and everything above use it.
"""
