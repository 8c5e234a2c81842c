"""External tools sahab drives as processes, each from its own environment."""
