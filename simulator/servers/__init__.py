"""Servers: the verifying receiver and the one helper that runs a server on its own loop in a thread."""
