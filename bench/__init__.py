"""sosim benchmarks: scripts that print figures (``python -m bench.generate``, ``python -m bench.send``)."""
