"""The web side: OAuth activation, Event Platform receiver, enqueue/status API, health."""
