"""Payments: the versioned policy, payment decisions with staff review, cost claims, finance export."""
