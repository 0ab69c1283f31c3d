"""Reading stage: turns a source file into pages of text lines (and, for PDFs and
scans, raw table grids), each with provenance. Text layers are read where they
exist; only pages without a usable one are OCRed. Hands on ``ocr.model.Source``."""
