"""Webhooks without a database: Standard Webhooks signing, the retry schedule and inbound CRM payload mapping.

``signing`` signs and verifies (stdlib only), ``schedule`` decides when to retry and when an endpoint is
unhealthy, ``pointer`` and ``mapping`` turn a CRM's JSON into an intake. See docs/webhooks.md.
"""
