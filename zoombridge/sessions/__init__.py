"""Session setup: sessions and series, their Zoom meetings, registrations and what to send when."""
