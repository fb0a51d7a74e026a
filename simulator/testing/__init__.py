"""The pytest plugin and the helpers behind it (in-process delivery, scenarios, signature checks)."""
