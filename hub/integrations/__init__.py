"""What low-code platforms import: the Power Automate / Logic Apps custom connector and the
Zapier app, generated from the live catalog, rules and settings."""
