"""Understanding stage: layout (running headers, page-split paragraphs, sections),
tables mapped to the spec's canonical keys, numbers, metadata, narrative mentions
and the identities between cells. Hands on ``extract.model.Extraction``."""
