"""Trained models put to use: the sampler, encoding, stacks, audio and MusicVAE pages, export."""
