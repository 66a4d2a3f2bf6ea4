"""Business state: one record per order, customer, vendor or purchase order across systems,
moved through the status rules of `rules.yaml` as events arrive.

`rules` reads the rules; `correlate` (which object an event is about), `transitions` (what a
trigger does in a status) and `facts` (what is known of an object) are pure decisions, and
`apply` combines them into one event's outcome. `tracker` follows the committed event log,
applies each event and raises status and deadline events, writing through `writes`; `bulk`
moves many objects by hand and `rebuild` replays the log through today's rules.
"""
