"""Pure planning: session formats, schedules (first week of the month, send times), breakout rooms."""
