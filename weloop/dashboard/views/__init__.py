"""Merchant console views, one module per page group. Each is thin: parse, call a service, render."""
