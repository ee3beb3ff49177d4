"""Language identification and fastText classifiers: model files, batched prediction."""
