"""Recordings and fixtures: the JSONL format, its reader and writer, replay planning, fixture writers."""
