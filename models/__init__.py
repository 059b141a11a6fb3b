"""Earshot's model manifest (manifest.toml) and, by default, the directory for local model files."""
