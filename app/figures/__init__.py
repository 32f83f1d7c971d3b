"""Figures built on the server with plotly and returned as figure JSON (testable without a browser)."""
