"""Community charging (issue 15): a CPO invites drivers (residents, employees) by e-mail into a community with its
own tariff; each driver opens a small page by magic link; a monthly run writes a statement per driver and a credit
note per community. See docs/community-charging.md."""
