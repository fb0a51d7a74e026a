"""Delivery: the clock, the Deliverer (NetServer's rules, lanes, retries) and its transports (httpx, lean)."""
