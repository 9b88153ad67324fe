"""Every write of the consent app: consents, exports, erasure, retention (one module per part)."""
