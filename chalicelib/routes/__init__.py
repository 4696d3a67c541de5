"""Chalice blueprints: thin handlers that parse a request, call the domain, map the result."""
