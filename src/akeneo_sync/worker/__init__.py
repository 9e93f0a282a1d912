"""Dramatiq side: broker setup, thin actors, the scheduler."""
