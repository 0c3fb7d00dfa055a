"""Storage: the one token-dataset format, its loader, atomic writes, locks and windows."""
