"""Attendance: who was in a session, where, and for how long."""
