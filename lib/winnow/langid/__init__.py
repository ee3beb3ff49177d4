"""Language identification: one fastText model (lid.176), batched, per document."""
