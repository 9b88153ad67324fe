"""Forms of the participation domain, one module per part."""
