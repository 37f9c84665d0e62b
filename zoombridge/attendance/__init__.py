"""Attendance: who was in a session, for how long, from Zoom's webhooks and its reports."""
