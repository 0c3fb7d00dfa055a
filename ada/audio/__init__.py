"""Audio in and out: μ-law, reading and writing files, `ada prepare`, the built-in piano corpus."""
