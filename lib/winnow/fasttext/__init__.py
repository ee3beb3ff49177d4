"""fastText supervised models read from fastText's own files: batched prediction."""
