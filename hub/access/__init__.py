"""Who may see what: partners and their allowances, the visibility of records to a caller, and
the portal links that sign a partner into the console. Pure decisions over the core's types."""
