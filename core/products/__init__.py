"""Products: the platform's catalogue of station products with monthly net prices and the features they unlock
(seed 003: eOperate professional AC / DC; seed 001: 360.SUPPORT), and their assignments to stations with start and
end. Features ask one function, core.products.assignments.has_feature; what a month costs follows the product's
billing rule (core.products.rules)."""
