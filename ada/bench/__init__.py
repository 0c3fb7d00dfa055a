"""Speed: `ada bench` against plain reference implementations of the same models."""
