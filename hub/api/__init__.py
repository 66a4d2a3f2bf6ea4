"""The HTTP API under ``/api``, every route behind `AdminAuth`.

`admin` serves events, deliveries, replays, rejections, receipts and the catalog;
`subscriptions` the subscriptions and tokens that low-code flows and partners use; `feed` the
pull feed. `auth` decides who may call what, `params` reads requests and `render` writes
records; `services` is what every handler reaches, and `routes` lists them all.
"""
