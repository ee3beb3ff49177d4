"""Model-based quality: train a fastText classifier (DCLM style) and score documents."""
