"""Pure planning: breakout rooms (and, later, schedules). Plain data in, plain data out."""
