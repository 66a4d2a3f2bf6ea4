"""Outbound: route events to subscriptions, sign them, deliver them and retry.

`subscriptions` decides who receives what; `worker` claims due deliveries and sends them through
`sender`, shaped by `message`, `dispatch` (rate, in-flight and ordering rules) and `batching`;
`retry` decides what an attempt's outcome means; `consent` asks a new target for permission, and
`ssrf` keeps every outbound connection on public addresses.
"""
