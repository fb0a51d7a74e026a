"""The mock SuperOffice chat REST API: its state, its JSON shapes, and its HTTP and in-process faces."""
