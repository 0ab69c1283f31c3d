"""Drives ocr → extract → warehouse: file discovery, per-file jobs, the CLI."""
