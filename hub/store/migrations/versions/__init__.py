"""One module per schema version, named by its revision."""
