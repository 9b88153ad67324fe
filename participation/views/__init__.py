"""Thin views: parse the request, call a service, answer a redirect or a fragment."""
