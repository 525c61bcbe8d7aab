"""Resellers (seed 003): a reseller's sub-CPOs (onboarding, master data, the first administrator's invitation) in
core.resellers.sub_cpos, and the usage export per sub-CPO and month it bills them from in core.resellers.usage."""
