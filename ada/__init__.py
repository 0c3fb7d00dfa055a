"""ADA: autoregressive discrete autoencoders that generate piano music as raw audio.

Dieleman, van den Oord and Simonyan (2018), "The challenge of realistic music generation:
modelling raw audio at scale", in JAX/Flax. Everything is a token sequence: μ-law audio has
vocabulary 256, the codes of a level have vocabulary K.
"""

__version__ = "0.1.0"
SAMPLE_RATE = 16000
