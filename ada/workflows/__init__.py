"""Release and research workflows: training and shipping the stack, its card, and the sweeps that chose it."""
