"""Dynamic load management: a grid connection limit per location, shared among its charging charge points."""
