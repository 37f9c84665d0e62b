"""Attendance: who was in a session, where, and for how long, from Zoom's webhooks and its reports."""
