"""The pure core: signing, events and rendering, scenarios, generation, timing, faults and delivery rules.

No module here does I/O, runs an event loop or touches a terminal (tests/unit/test_layering.py)."""
