"""Training: configs, train state, devices, checkpoints, the trainer, its evaluator and logs, PBT."""
