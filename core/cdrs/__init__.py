"""CDRs: charge detail records made from finished sessions (priced, with the Eichrecht result), the charging data
query ("Ladedaten": list, sums, charts, export) and sessions as the REST API shows them.

Uses tenancy, eichrecht, infrastructure, tariffs, access and charging.
"""
