"""The HTTP API under ``/api``, every route behind `AdminAuth`.

`admin` serves events, deliveries, replays, rejections, receipts and the catalog;
`subscriptions` the subscriptions and tokens that low-code flows and partners use; `feed` the
pull feed; `objects` the business objects; `trials` sends a subscription a test event.
Outside ``/api`` and without a token: `probes` (``/healthz``, ``/readyz``) and `published`
(the OpenAPI document, the Power Automate definition). `auth` decides who may call what,
`params` reads requests and `render` writes records; `services` is what every handler
reaches, and `routes` lists the ``/api`` routes.
"""
