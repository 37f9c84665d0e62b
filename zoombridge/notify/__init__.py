"""Telling people things: rendered emails (plain text + HTML), calendar files and delivery."""
