"""Reads that must cost the same at any size: keyset pages, counters, indexed aggregates."""
