"""Neural-network building blocks: WaveNet stacks (training and single-step sampling) and the quantisers."""
