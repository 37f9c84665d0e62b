"""Talking to Zoom: the REST client and webhook signatures."""
