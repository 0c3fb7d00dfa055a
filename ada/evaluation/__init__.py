"""Reports on trained models: `ada eval`, `ada notes eval`, interpolation studies, `ada profile`."""
