"""The stand-in tenant: the Webhook API, the registry, per-webhook fan-out, state events and rotation."""
